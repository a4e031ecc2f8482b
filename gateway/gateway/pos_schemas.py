"""The public POS schemas (quote, reserve, confirm, cancel, return, balance), owned here.

The gateway imports no service package: these are the public contract, compared field by field
with the OpenAPI loyalty serves by `tests/gateway/test_pos_contract.py`, so the two cannot
drift. Types and bounds are checked here (strictly, see kit.schemas); loyalty checks what
needs its knowledge (the amount of a line and of a receipt, the member, the lots) and answers
422 or 409 itself. Money is an integer in minor units (cents), points are whole points.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from kit.contracts import pos_examples as examples
from kit.contracts.common import StoreChannel
from kit.schemas import StrictModel

# The same sanity bounds as loyalty's: larger is a typo or an attack, not a purchase.
MAX_AMOUNT = 10**12
MAX_POINTS = 10**9
Points = Annotated[int, Field(ge=0, le=MAX_POINTS)]
Quantity = Annotated[int, Field(gt=0, le=100_000, description="Items, a whole number")]
Sku = Annotated[str, Field(min_length=1, max_length=64, description="The item's SKU")]


class ReceiptLine(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.LINE]})

    sku: Sku
    category: str | None = Field(
        default=None, max_length=64, description="The item's category; lots may be limited to some"
    )
    quantity: Quantity
    price: int = Field(ge=0, le=MAX_AMOUNT, description="Money, minor units: the price of one item")
    no_redeem: bool = Field(default=False, description="Points may not pay for this line")
    no_accrual: bool = Field(default=False, description="This line earns no points")


class Receipt(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RECEIPT]})

    customer_id: str = Field(max_length=36, description="The customer buying")
    store_id: str = Field(
        min_length=1, max_length=64, description="The store; a store-bound key names its own"
    )
    channel: StoreChannel = Field(description="`offline` (a till) or `online` (the web shop)")
    city: str | None = Field(default=None, max_length=120, description="The store's city")
    lines: list[ReceiptLine] = Field(
        min_length=1, max_length=500, description="The receipt's lines, in receipt order"
    )
    points: Points | Literal["max"] = Field(
        default=0, description='Points the customer wants to spend: a whole number ≥ 0 or "max"'
    )


class ReserveRequest(Receipt):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RESERVE]})

    txid: str = Field(
        min_length=1,
        max_length=64,
        description="The POS transaction id, unique per store (two stores may use the same)",
    )
    quoted_redeemed: Points | None = Field(
        default=None,
        description="Points the quote promised; a different outcome now is 409 `quote_changed`",
    )


class LineQuoteOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.QUOTE_LINE]})

    sku: str = Field(description="The line's SKU")
    amount: int = Field(description="Money, minor units: quantity times price")
    max_redeemable: int = Field(
        description="Points this line could take on its own: its cap (a fifth of its amount), "
        "and no more than the lots that may pay for it hold; the receipt's max_redeemable is "
        "the figure to offer"
    )
    redeemed: int = Field(description="Points paying for this line")
    accrued: int = Field(description="Points this line earns")
    payable: int = Field(description="Money, minor units: what is left to pay after the points")


class QuoteOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.QUOTE]})

    customer_id: str = Field(description="The customer buying")
    total_amount: int = Field(description="Money, minor units: the receipt's total")
    max_redeemable: int = Field(
        description="Points: the most this receipt can take now, under the lots' restrictions "
        "and each line's cap"
    )
    redeemed: int = Field(description="Points paying for the receipt")
    accrued: int = Field(description="Points the receipt earns")
    payable: int = Field(description="Money, minor units: what is left to pay")
    tier: str = Field(description="The customer's tier, which sets the accrual rate")
    lines: list[LineQuoteOut] = Field(description="Per line, in receipt order")


class ReservationOut(QuoteOut):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RESERVATION]})

    txid: str = Field(description="The POS transaction id, unique per store")
    status: str = Field(description="`reserved`")
    reserved_until: datetime = Field(
        description="UTC: the points are released unless confirmed before"
    )


class StepRequest(StrictModel):
    """Confirm and cancel need no body; an empty object is accepted."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}]})


class ConfirmationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.CONFIRMATION]})

    txid: str = Field(description="The POS transaction id, unique per store")
    status: str = Field(description="`confirmed`")
    customer_id: str = Field(description="The customer who bought")
    redeemed: int = Field(description="Points captured")
    accrued: int = Field(description="Points earned")
    payable: int = Field(description="Money, minor units: paid after the points")
    accrual_active_from: datetime | None = Field(
        description="UTC: when the earned points become spendable; null when none were earned"
    )
    accrual_expires_at: datetime | None = Field(
        description="UTC: when the earned points expire; null when none were earned"
    )
    debt_repaid: int = Field(description="Points of the accrual that paid the customer's debt")
    tier: str = Field(description="The customer's tier after the purchase")
    confirmed_at: datetime = Field(description="UTC")


class CancellationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.CANCELLATION]})

    txid: str = Field(description="The POS transaction id, unique per store")
    status: str = Field(description="`cancelled`")
    released_points: int = Field(description="Points no longer held")


class ReturnLine(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RETURN_LINE]})

    sku: Sku
    quantity: Quantity


class ReturnRequest(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RETURN_REQUEST]})

    return_id: str = Field(
        min_length=1, max_length=64, description="The POS return receipt id, per purchase"
    )
    lines: list[ReturnLine] = Field(
        min_length=1, max_length=500, description="What comes back: SKUs and quantities"
    )


class ReturnedLineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RETURNED_LINE]})

    sku: str = Field(description="The returned SKU")
    quantity: int = Field(description="Items returned")
    refunded: int = Field(description="Money, minor units, given back")
    reversed_points: int = Field(description="Points: the accrual taken back")
    restored_points: int = Field(description="Points given back to the lots they came from")
    not_restored_points: int = Field(description="Points whose lots expired meanwhile")


class ReturnOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RETURN]})

    txid: str = Field(description="The POS transaction id, unique per store")
    return_id: str = Field(description="The POS return receipt id")
    refunded_amount: int = Field(description="Money, minor units, given back")
    reversed_points: int = Field(description="Points: the accrual taken back")
    debt_points: int = Field(
        description="Points: the reversed accrual the customer had already spent (a debt)"
    )
    debt_repaid: int = Field(
        default=0,
        description="Points: debt paid at once from the points the customer holds or got back "
        "(debt and spendable points never coexist)",
    )
    restored_points: int = Field(description="Points given back to the lots they came from")
    not_restored_points: int = Field(description="Points whose lots expired meanwhile")
    note: str | None = Field(description="Why some points were not restored, if any were not")
    lines: list[ReturnedLineOut] = Field(description="Per returned receipt line")


class ExpiringPoints(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.EXPIRING]})

    amount: int = Field(description="Points that burn at expires_at unless spent")
    expires_at: datetime = Field(description="UTC")
    pending: int = Field(
        default=0, description="Points: the part of amount not spendable yet (see pending_lots)"
    )


class PendingPoints(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.PENDING]})

    amount: int = Field(description="Points that become spendable at active_from")
    active_from: datetime = Field(description="UTC")
    expires_at: datetime = Field(description="UTC")


class BalanceOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.BALANCE]})

    customer_id: str = Field(description="The customer")
    available: int = Field(description="Points spendable now: active, unexpired, not reserved")
    pending: int = Field(description="Points earned or granted but not active yet")
    reserved: int = Field(description="Points held by open POS reservations")
    debt: int = Field(
        description="Points owed after a return; every credit repays it first, so a customer "
        "with debt has no points to spend"
    )
    tier: str = Field(description="The customer's tier")
    trailing_spend: int = Field(description="Money, minor units: paid in the last 12 months")
    expiring: list[ExpiringPoints] = Field(
        description="The next expiry dates with the points that burn then, pending ones "
        "included, soonest first"
    )
    pending_lots: list[PendingPoints] = Field(
        default_factory=list,
        description="The next points to become spendable, with when and until when",
    )
