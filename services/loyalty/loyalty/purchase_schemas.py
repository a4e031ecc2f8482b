"""The POS contract: quotes, reservations, confirmations, cancellations and returns."""

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from kit.contracts import pos_examples as examples
from kit.contracts.common import StoreChannel

# Sanity bounds: no till sells a line, or a receipt, of more than 10^12 minor units, and no
# member holds a billion points; anything larger is a typo or an attack, not a purchase.
MAX_AMOUNT = 10**12
MAX_POINTS = 10**9
Points = Annotated[StrictInt, Field(ge=0, le=MAX_POINTS)]


class ReceiptLine(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [examples.LINE]})

    sku: str = Field(min_length=1, max_length=64)
    category: str | None = Field(default=None, max_length=64)
    quantity: StrictInt = Field(gt=0, le=100_000, description="items")
    price: StrictInt = Field(ge=0, le=MAX_AMOUNT, description="money, minor units per item")
    no_redeem: StrictBool = Field(default=False, description="points may not pay for this line")
    no_accrual: StrictBool = Field(default=False, description="this line earns no points")

    @model_validator(mode="after")
    def sane_amount(self) -> Self:
        if self.quantity * self.price > MAX_AMOUNT:
            raise ValueError(f"a line's amount (quantity times price) is at most {MAX_AMOUNT}")
        return self


class Receipt(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [examples.RECEIPT]})

    customer_id: str = Field(max_length=36)
    store_id: str = Field(min_length=1, max_length=64)
    channel: StoreChannel
    city: str | None = Field(default=None, max_length=120)
    lines: list[ReceiptLine] = Field(min_length=1, max_length=500)
    points: Points | Literal["max"] = Field(
        default=0, description='points the customer wants to spend: a whole number ≥ 0 or "max"'
    )

    @model_validator(mode="after")
    def sane_total(self) -> Self:
        if sum(line.quantity * line.price for line in self.lines) > MAX_AMOUNT:
            raise ValueError(f"a receipt's total is at most {MAX_AMOUNT} minor units")
        return self

    def points_wanted(self) -> int | str:
        return self.points


class ReserveRequest(Receipt):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [examples.RESERVE]})

    txid: str = Field(min_length=1, max_length=64, description="the POS transaction id")
    quoted_redeemed: Points | None = Field(
        default=None,
        description="points the quote promised; a different outcome now is a 409 quote_changed",
    )


class LineQuoteOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.QUOTE_LINE]})

    sku: str
    amount: int = Field(description="money, minor units: quantity times price")
    max_redeemable: int = Field(
        description="points this line could take on its own: its cap (a fifth of its amount), "
        "and no more than the lots that may pay for it hold; lines never sum past the receipt's "
        "cap, and the receipt's max_redeemable is the figure to offer"
    )
    redeemed: int = Field(description="points paying for this line")
    accrued: int = Field(description="points this line earns")
    payable: int = Field(description="money, minor units: what is left to pay after the points")


class QuoteOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.QUOTE]})

    customer_id: str
    total_amount: int = Field(description="money, minor units: the receipt's total")
    max_redeemable: int = Field(
        description="points: the most this receipt can take now, under the lots' restrictions "
        "and each line's cap"
    )
    redeemed: int = Field(description="points paying for the receipt")
    accrued: int = Field(description="points the receipt earns")
    payable: int = Field(description="money, minor units: what is left to pay")
    tier: str
    lines: list[LineQuoteOut]


class ReservationOut(QuoteOut):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RESERVATION]})

    txid: str
    status: str
    reserved_until: datetime


class StepRequest(BaseModel):
    """Confirm and cancel need no body; an empty object is accepted."""

    model_config = ConfigDict(extra="forbid")


class ConfirmationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.CONFIRMATION]})

    txid: str
    status: str
    customer_id: str
    redeemed: int = Field(description="points captured")
    accrued: int = Field(description="points earned")
    payable: int = Field(description="money, minor units: paid after the points")
    accrual_active_from: datetime | None
    accrual_expires_at: datetime | None
    debt_repaid: int = Field(description="points of the accrual that paid the member's debt")
    tier: str
    confirmed_at: datetime


class CancellationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.CANCELLATION]})

    txid: str
    status: str
    released_points: int = Field(description="points no longer held")


class ReturnLine(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.RETURN_LINE]}
    )

    sku: str = Field(min_length=1, max_length=64)
    quantity: StrictInt = Field(gt=0, le=100_000, description="items")


class ReturnRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.RETURN_REQUEST]}
    )

    return_id: str = Field(min_length=1, max_length=64, description="the POS return receipt id")
    lines: list[ReturnLine] = Field(min_length=1, max_length=500)


class ReturnedLineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RETURNED_LINE]})

    sku: str
    quantity: int = Field(description="items")
    refunded: int = Field(description="money, minor units, given back")
    reversed_points: int = Field(description="points: the accrual taken back")
    restored_points: int = Field(description="points given back to the lots they came from")
    not_restored_points: int = Field(description="points whose lots expired meanwhile")


class ReturnOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RETURN]})

    txid: str
    return_id: str
    refunded_amount: int = Field(description="money, minor units, given back")
    reversed_points: int = Field(description="points: the accrual taken back")
    debt_points: int = Field(
        description="points: the reversed accrual the member had already spent (a debt)"
    )
    debt_repaid: int = Field(
        default=0,
        description="points: debt paid at once from the points the member holds or got back "
        "(debt and spendable points never coexist)",
    )
    restored_points: int = Field(description="points given back to the lots they came from")
    not_restored_points: int = Field(description="points whose lots expired meanwhile")
    note: str | None
    lines: list[ReturnedLineOut]
