"""Events loyalty publishes. Money is integer minor units; points are integers."""

from datetime import date, datetime
from typing import Literal

from kit.contracts.common import Channel, StoreChannel
from kit.events import Event, Payload


class MemberRegisteredPayload(Payload):
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    birthday: date | None = None
    city: str | None = None
    time_zone: str = "UTC"
    consents: dict[Channel, bool] = {}


class MemberRegistered(Event):
    source = "loyalty"
    type: Literal["member.registered"] = "member.registered"
    version: Literal[1] = 1
    payload: MemberRegisteredPayload


class MemberUpdatedPayload(MemberRegisteredPayload):
    """The member's full profile after the change (not a diff), so order does not matter."""

    updated_at: datetime


class MemberUpdated(Event):
    source = "loyalty"
    type: Literal["member.updated"] = "member.updated"
    version: Literal[1] = 1
    payload: MemberUpdatedPayload


class MemberTierChangedPayload(Payload):
    previous_tier: str
    tier: str
    trailing_spend: int


class MemberTierChanged(Event):
    source = "loyalty"
    type: Literal["member.tier_changed"] = "member.tier_changed"
    version: Literal[1] = 1
    payload: MemberTierChangedPayload


class PurchaseLine(Payload):
    sku: str
    category: str | None = None
    quantity: int
    amount: int  # the line's total before points
    paid_with_points: int = 0  # minor units of the line paid with points
    accrued_points: int = 0


class LotPoints(Payload):
    """Points of one lot that paid for a purchase (or came back to it on a return)."""

    lot_id: str
    points: int
    source: str  # purchase, promo, birthday, campaign, manual
    grant_id: str | None = None  # the grant that made the lot, as the grant's answer named it
    reference: str | None = None


def purchase_key(store_id: str | None, txid: str) -> str:
    """The one name consumers key a purchase by: txids are unique per store, so two stores'
    equal txids are two purchases. Without a store (a return published before returns named
    theirs) it is the bare txid, the key such a purchase had while txids were global."""
    return txid if store_id is None else f"{store_id}/{txid}"


class PurchaseConfirmedPayload(Payload):
    txid: str
    store_id: str
    channel: StoreChannel
    city: str | None = None
    lines: list[PurchaseLine]
    total_amount: int
    paid_amount: int  # paid with money
    redeemed_points: int
    accrued_points: int
    purchased_at: datetime
    redeemed_lots: list[LotPoints] = []  # which lots the redeemed points came from

    @property
    def purchase_key(self) -> str:
        return purchase_key(self.store_id, self.txid)


class PurchaseConfirmed(Event):
    source = "loyalty"
    type: Literal["purchase.confirmed"] = "purchase.confirmed"
    version: Literal[1] = 1
    payload: PurchaseConfirmedPayload


class ReturnedLine(Payload):
    sku: str
    quantity: int
    amount: int


class PurchaseReturnedPayload(Payload):
    txid: str
    # txids are unique per store: (store_id, txid) names the purchase. None only in events
    # published before returns named their store.
    store_id: str | None = None
    return_id: str
    lines: list[ReturnedLine]
    refunded_amount: int
    reversed_points: int
    restored_points: int
    returned_at: datetime
    restored_lots: list[LotPoints] = []  # which lots the restored points went back to

    @property
    def purchase_key(self) -> str:
        return purchase_key(self.store_id, self.txid)


class PurchaseReturned(Event):
    source = "loyalty"
    type: Literal["purchase.returned"] = "purchase.returned"
    version: Literal[1] = 1
    payload: PurchaseReturnedPayload


class BonusGrantedPayload(Payload):
    grant_id: str
    amount: int
    active_from: datetime
    expires_at: datetime
    source: str  # promo, birthday, campaign, manual
    reference: str | None = None


class BonusGranted(Event):
    source = "loyalty"
    type: Literal["bonus.granted"] = "bonus.granted"
    version: Literal[1] = 1
    payload: BonusGrantedPayload


class BonusExpiringPayload(Payload):
    amount: int
    expires_at: datetime


class BonusExpiring(Event):
    source = "loyalty"
    type: Literal["bonus.expiring"] = "bonus.expiring"
    version: Literal[1] = 1
    payload: BonusExpiringPayload


class BonusExpiredPayload(Payload):
    amount: int
    expired_at: datetime


class BonusExpired(Event):
    source = "loyalty"
    type: Literal["bonus.expired"] = "bonus.expired"
    version: Literal[1] = 1
    payload: BonusExpiredPayload


EVENTS: tuple[type[Event], ...] = (
    MemberRegistered,
    MemberUpdated,
    MemberTierChanged,
    PurchaseConfirmed,
    PurchaseReturned,
    BonusGranted,
    BonusExpiring,
    BonusExpired,
)
