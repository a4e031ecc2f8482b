"""A member's history as support and marketers read it: purchases with their returns, lots."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

LotState = Literal["pending", "active", "used", "expired"]


class ReturnSummary(BaseModel):
    return_id: str = Field(description="the POS return receipt id")
    returned_at: datetime
    refunded_amount: int = Field(description="money, minor units, given back")
    reversed_points: int = Field(description="points: the purchase's accrual taken back")
    debt_points: int = Field(description="points: the reversed accrual already spent (a debt)")
    restored_points: int = Field(description="redeemed points given back to their lots")
    not_restored_points: int = Field(description="redeemed points whose lots expired meanwhile")


class PurchaseSummary(BaseModel):
    txid: str
    store_id: str
    channel: str
    confirmed_at: datetime
    total_amount: int = Field(description="minor units, the receipt's total")
    paid_amount: int = Field(description="minor units paid with money")
    refunded_amount: int = Field(description="minor units given back by returns")
    redeemed_points: int = Field(description="points that paid part of the receipt")
    accrued_points: int = Field(description="points the purchase earned")
    accrual_lot_id: str | None = Field(description="the lot the accrued points went to")
    returns: list[ReturnSummary] = Field(description="oldest first")


class PurchasesPage(BaseModel):
    items: list[PurchaseSummary] = Field(description="confirmed purchases, newest first")
    next_cursor: str | None = Field(default=None, description="for the next, older page")


class PurchaseRef(BaseModel):
    txid: str
    store_id: str


class LotSummary(BaseModel):
    id: str
    source: str = Field(
        description="`purchase` (an accrual), or a grant's: `promo`, `birthday`, `campaign`, "
        "`manual`",
    )
    reference: str | None = Field(
        description="the receipt's txid for an accrual; the grant's own reference otherwise "
        "(a chain's `chain:{id}:v{version}:{step}`, a campaign's `campaign:{id}`)"
    )
    grant_id: str | None
    purchase: PurchaseRef | None = Field(description="the purchase an accrual came from")
    initial: int = Field(description="points the lot was created with")
    remaining: int = Field(description="points left, reserved ones included")
    reserved: int = Field(description="points held by open reservations")
    state: LotState = Field(
        description="`pending` (not spendable yet), `active`, `used` (nothing left) or "
        "`expired` (past its expiry date)"
    )
    created_at: datetime
    active_from: datetime
    expires_at: datetime


class LotsPage(BaseModel):
    items: list[LotSummary] = Field(description="newest first")
    next_cursor: str | None = Field(default=None, description="for the next, older page")
