"""The POS contract: quotes, reservations, confirmations, cancellations and returns."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kit.contracts.common import StoreChannel

LINE_EXAMPLE: dict[str, Any] = {
    "sku": "SOFA-1",
    "category": "sofas",
    "quantity": 1,
    "price": 49_900,
}
RECEIPT_EXAMPLE: dict[str, Any] = {
    "customer_id": "6f1c2b9e-4a57-4d0e-9a1f-2f1d6c3e8b10",
    "store_id": "berlin-01",
    "channel": "offline",
    "city": "Berlin",
    "lines": [LINE_EXAMPLE, {"sku": "GIFT-CARD", "quantity": 1, "price": 5_000, "no_redeem": True}],
    "points": "max",
}


class ReceiptLine(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [LINE_EXAMPLE]})

    sku: str = Field(min_length=1, max_length=64)
    category: str | None = Field(default=None, max_length=64)
    quantity: int = Field(gt=0, le=100_000)
    price: int = Field(ge=0, le=10**10, description="minor units per item")
    no_redeem: bool = Field(default=False, description="points may not pay for this line")
    no_accrual: bool = Field(default=False, description="this line earns no points")


class Receipt(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [RECEIPT_EXAMPLE]})

    customer_id: str = Field(max_length=36)
    store_id: str = Field(min_length=1, max_length=64)
    channel: StoreChannel
    city: str | None = Field(default=None, max_length=120)
    lines: list[ReceiptLine] = Field(min_length=1, max_length=500)
    points: int | Literal["max"] = Field(
        default=0, description='points the customer wants to spend: a number or "max"'
    )

    def points_wanted(self) -> int | str:
        return self.points if isinstance(self.points, str) else max(0, self.points)


class ReserveRequest(Receipt):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{**RECEIPT_EXAMPLE, "txid": "till7-000123", "quoted_redeemed": 109}]
        },
    )

    txid: str = Field(min_length=1, max_length=64, description="the POS transaction id")
    quoted_redeemed: int | None = Field(
        default=None,
        description="the points the quote promised; a different outcome now is a 409 quote_changed",
    )


class LineQuoteOut(BaseModel):
    sku: str
    amount: int
    max_redeemable: int
    redeemed: int
    accrued: int
    payable: int


QUOTE_EXAMPLE: dict[str, Any] = {
    "customer_id": RECEIPT_EXAMPLE["customer_id"],
    "total_amount": 54_900,
    "max_redeemable": 109,
    "redeemed": 109,
    "accrued": 21,
    "payable": 44_000,
    "tier": "base",
    "lines": [
        {
            "sku": "SOFA-1",
            "amount": 49_900,
            "max_redeemable": 109,
            "redeemed": 109,
            "accrued": 19,
            "payable": 39_000,
        },
        {
            "sku": "GIFT-CARD",
            "amount": 5_000,
            "max_redeemable": 0,
            "redeemed": 0,
            "accrued": 2,
            "payable": 5_000,
        },
    ],
}


class QuoteOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [QUOTE_EXAMPLE]})

    customer_id: str
    total_amount: int
    max_redeemable: int
    redeemed: int
    accrued: int
    payable: int
    tier: str
    lines: list[LineQuoteOut]


class ReservationOut(QuoteOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **QUOTE_EXAMPLE,
                    "txid": "till7-000123",
                    "status": "reserved",
                    "reserved_until": "2026-05-17T10:15:00Z",
                }
            ]
        }
    )

    txid: str
    status: str
    reserved_until: datetime


class StepRequest(BaseModel):
    """Confirm and cancel need no body; an empty object is accepted."""

    model_config = ConfigDict(extra="forbid")


class ConfirmationOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "txid": "till7-000123",
                    "status": "confirmed",
                    "customer_id": RECEIPT_EXAMPLE["customer_id"],
                    "redeemed": 109,
                    "accrued": 21,
                    "payable": 44_000,
                    "accrual_active_from": "2026-05-17T10:01:00Z",
                    "accrual_expires_at": "2026-11-17T23:59:59Z",
                    "debt_repaid": 0,
                    "tier": "base",
                    "confirmed_at": "2026-05-17T10:01:00Z",
                }
            ]
        }
    )

    txid: str
    status: str
    customer_id: str
    redeemed: int
    accrued: int
    payable: int
    accrual_active_from: datetime | None
    accrual_expires_at: datetime | None
    debt_repaid: int
    tier: str
    confirmed_at: datetime


class CancellationOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"txid": "till7-000123", "status": "cancelled"}]}
    )

    txid: str
    status: str
    released_points: int


class ReturnLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=100_000)


class ReturnRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"return_id": "ret-0042", "lines": [{"sku": "SOFA-1", "quantity": 1}]}]
        },
    )

    return_id: str = Field(min_length=1, max_length=64, description="the POS return receipt id")
    lines: list[ReturnLine] = Field(min_length=1, max_length=500)


class ReturnedLineOut(BaseModel):
    sku: str
    quantity: int
    refunded: int
    reversed_points: int
    restored_points: int
    not_restored_points: int


class ReturnOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "txid": "till7-000123",
                    "return_id": "ret-0042",
                    "refunded_amount": 39_000,
                    "reversed_points": 19,
                    "debt_points": 0,
                    "debt_repaid": 0,
                    "restored_points": 109,
                    "not_restored_points": 0,
                    "note": None,
                    "lines": [
                        {
                            "sku": "SOFA-1",
                            "quantity": 1,
                            "refunded": 39_000,
                            "reversed_points": 19,
                            "restored_points": 109,
                            "not_restored_points": 0,
                        }
                    ],
                }
            ]
        }
    )

    txid: str
    return_id: str
    refunded_amount: int
    reversed_points: int
    debt_points: int = Field(
        description="points: the reversed accrual the member had already spent (a debt)"
    )
    debt_repaid: int = Field(
        default=0,
        description="points: debt paid at once from the points the member holds or got back "
        "(debt and spendable points never coexist)",
    )
    restored_points: int
    not_restored_points: int = Field(description="redeemed points whose lots expired meanwhile")
    note: str | None
    lines: list[ReturnedLineOut]
