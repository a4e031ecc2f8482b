"""The customer view for support and marketers: one customer as every service knows them."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class Profile(BaseModel):
    """From loyalty: who the customer is."""

    id: str
    phone: str | None
    email: str | None
    name: str | None
    birthday: date | None
    city: str | None
    time_zone: str
    created_at: datetime


class ExpiringPoints(BaseModel):
    amount: int = Field(description="points that burn at expires_at unless spent")
    expires_at: datetime
    pending: int = Field(description="the part of amount not spendable yet (see pending_lots)")


class PendingPoints(BaseModel):
    amount: int = Field(description="points that become spendable at active_from")
    active_from: datetime
    expires_at: datetime


class Balance(BaseModel):
    """From loyalty: points (integers) now, the next amounts to expire with their dates, and
    the next to become spendable (granted with an activation delay) with when and until when."""

    available: int
    pending: int
    reserved: int
    debt: int
    tier: str | None
    trailing_spend: int = Field(description="minor units")
    expiring: list[ExpiringPoints] = Field(description="soonest first, pending ones included")
    pending_lots: list[PendingPoints] = Field(description="soonest first")


class Contact(BaseModel):
    """From the notifier: where messages can go and what the customer agreed to."""

    email: str | None
    phone: str | None
    time_zone: str
    consents: dict[str, bool] = Field(examples=[{"email": True, "sms": False, "push": True}])
    push_tokens: dict[str, str] | None


class SegmentMembership(BaseModel):
    segment_id: str
    version: int
    name: str


class StepPassed(BaseModel):
    step: str
    visit: int
    reached_at: datetime


class CustomerEnrollment(BaseModel):
    id: str
    chain_id: str
    version: int
    status: str = Field(description="`active` or `exited`")
    holdout: bool
    step: str | None = Field(description="where it is now, or was last")
    exit_step: str | None
    exit_reason: str | None
    touches: int
    enrolled_at: datetime
    exited_at: datetime | None
    steps: list[StepPassed] = Field(description="every step passed, in order")


class CustomerEnrollments(BaseModel):
    items: list[CustomerEnrollment]
    next_cursor: str | None = Field(default=None, description="for the next, older page")


class Attempt(BaseModel):
    id: str
    position: int
    channel: str
    status: str
    reason: str | None
    cost: int
    sent_at: datetime | None
    delivered_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None


class Decision(BaseModel):
    """A careful-communication decision: `send`, `defer` (until when, and why: `quiet_hours`,
    `daily_cap`, `pause`) or `drop`."""

    action: str = Field(examples=["defer"])
    reason: str = Field(examples=["quiet_hours"])
    decided_at: datetime
    until: datetime | None


class Message(BaseModel):
    id: str
    customer_id: str
    channel: str
    channels: list[str] | None = None
    template: str
    source: str = Field(description="who asked: `chain:{id}:v{version}:{step}`, a campaign, …")
    status: str
    reason: str | None = Field(description="why no channel took it, when none did")
    critical: bool = False
    deferred_until: datetime | None = None
    created_at: datetime
    sent_at: datetime | None
    attempts: list[Attempt] = []
    decisions: list[Decision] = []


class Messages(BaseModel):
    items: list[Message]
    next_cursor: str | None = Field(default=None, description="for the next, older page")


class Return(BaseModel):
    """From loyalty: one return of a purchase, with the figures it answered the till."""

    return_id: str = Field(description="the POS return receipt id")
    returned_at: datetime
    refunded_amount: int = Field(description="money, minor units, given back")
    reversed_points: int = Field(description="points: the purchase's accrual taken back")
    debt_points: int = Field(description="points: the reversed accrual already spent (a debt)")
    restored_points: int = Field(description="redeemed points given back to their lots")
    not_restored_points: int = Field(description="redeemed points whose lots expired meanwhile")


class Purchase(BaseModel):
    """From loyalty: one confirmed purchase (money in minor units, points as integers)."""

    txid: str
    store_id: str
    channel: str = Field(examples=["offline"])
    confirmed_at: datetime
    total_amount: int = Field(description="minor units, the receipt's total")
    paid_amount: int = Field(description="minor units paid with money")
    refunded_amount: int = Field(description="minor units given back by returns")
    redeemed_points: int = Field(description="points that paid part of the receipt")
    accrued_points: int = Field(description="points the purchase earned")
    accrual_lot_id: str | None = Field(description="the lot the accrued points went to")
    returns: list[Return] = Field(description="oldest first")


class Purchases(BaseModel):
    items: list[Purchase] = Field(description="confirmed purchases, newest first")
    next_cursor: str | None = Field(default=None, description="for the next, older page")


class PurchaseRef(BaseModel):
    txid: str
    store_id: str


class Lot(BaseModel):
    """From loyalty: one lot of points and where it came from."""

    id: str
    source: str = Field(
        description="`purchase` (an accrual) or a grant's: `promo`, `birthday`, `campaign`, "
        "`manual`",
        examples=["campaign"],
    )
    reference: str | None = Field(
        description="an accrual's txid; a grant's reference: `chain:{id}:v{version}:{step}` "
        "for a chain step, `campaign:{id}` for a campaign",
        examples=["chain:reactivation:v1:gift"],
    )
    grant_id: str | None
    purchase: PurchaseRef | None = Field(description="the purchase an accrual came from")
    initial: int = Field(description="points the lot was created with")
    remaining: int = Field(description="points left, reserved ones included")
    reserved: int = Field(description="points held by open reservations")
    state: Literal["pending", "active", "used", "expired"]
    created_at: datetime
    active_from: datetime
    expires_at: datetime


class Lots(BaseModel):
    items: list[Lot] = Field(description="newest first")
    next_cursor: str | None = Field(default=None, description="for the next, older page")


class CustomerView(BaseModel):
    """Profile, consents, points, segments, the newest purchases (with their returns), lots,
    enrollments and messages (their first pages; `/purchases`, `/lots`, `/enrollments` and
    `/messages` page on with `next_cursor`)."""

    profile: Profile
    balance: Balance
    contact: Contact | None = Field(description="null: the notifier has no contact yet")
    segments: list[SegmentMembership]
    purchases: Purchases
    lots: Lots
    enrollments: CustomerEnrollments
    messages: Messages
