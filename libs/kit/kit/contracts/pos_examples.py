"""One example of each POS body and answer, shown by loyalty's OpenAPI and by the gateway's.

Both describe the same contract (the gateway's schemas are its own, checked against loyalty's
by `tests/gateway/test_pos_contract.py`), so they show the same receipt. Each example is
validated against both sides' schemas by the tests. Money in minor units, points whole.
"""

from typing import Any

CUSTOMER_ID = "6f1c2b9e-4a57-4d0e-9a1f-2f1d6c3e8b10"
TXID = "till7-000123"

LINE: dict[str, Any] = {"sku": "SOFA-1", "category": "sofas", "quantity": 1, "price": 49_900}
RECEIPT: dict[str, Any] = {
    "customer_id": CUSTOMER_ID,
    "store_id": "berlin-01",
    "channel": "offline",
    "city": "Berlin",
    "lines": [LINE, {"sku": "GIFT-CARD", "quantity": 1, "price": 5_000, "no_redeem": True}],
    "points": "max",
}
RESERVE: dict[str, Any] = {**RECEIPT, "txid": TXID, "quoted_redeemed": 99}

QUOTE_LINE: dict[str, Any] = {
    "sku": "SOFA-1",
    "amount": 49_900,
    "max_redeemable": 99,
    "redeemed": 99,
    "accrued": 20,
    "payable": 40_000,
}
QUOTE: dict[str, Any] = {
    "customer_id": CUSTOMER_ID,
    "total_amount": 54_900,
    "max_redeemable": 99,
    "redeemed": 99,
    "accrued": 22,
    "payable": 45_000,
    "tier": "base",
    "lines": [
        QUOTE_LINE,
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
RESERVATION: dict[str, Any] = {
    **QUOTE,
    "txid": TXID,
    "status": "reserved",
    "reserved_until": "2026-05-17T10:15:00Z",
}
CONFIRMATION: dict[str, Any] = {
    "txid": TXID,
    "status": "confirmed",
    "customer_id": CUSTOMER_ID,
    "redeemed": 99,
    "accrued": 22,
    "payable": 45_000,
    "accrual_active_from": "2026-05-17T10:01:00Z",
    "accrual_expires_at": "2026-11-17T23:59:59Z",
    "debt_repaid": 0,
    "tier": "base",
    "confirmed_at": "2026-05-17T10:01:00Z",
}
CANCELLATION: dict[str, Any] = {"txid": TXID, "status": "cancelled", "released_points": 99}

RETURN_LINE: dict[str, Any] = {"sku": "SOFA-1", "quantity": 1}
RETURN_REQUEST: dict[str, Any] = {"return_id": "ret-0042", "lines": [RETURN_LINE]}
RETURNED_LINE: dict[str, Any] = {
    "sku": "SOFA-1",
    "quantity": 1,
    "refunded": 40_000,
    "reversed_points": 20,
    "restored_points": 89,
    "not_restored_points": 10,
}
RETURN: dict[str, Any] = {
    "txid": TXID,
    "return_id": "ret-0042",
    "refunded_amount": 40_000,
    "reversed_points": 20,
    "debt_points": 0,
    "debt_repaid": 0,
    "restored_points": 89,
    "not_restored_points": 10,
    # Not null: an OpenAPI document leaves nulls out, and the example would lack the field.
    "note": "10 redeemed points were not restored: the lots they came from have expired",
    "lines": [RETURNED_LINE],
}

EXPIRING: dict[str, Any] = {"amount": 245, "expires_at": "2027-01-31T22:59:59Z", "pending": 25}
PENDING: dict[str, Any] = {
    "amount": 25,
    "active_from": "2026-06-01T00:00:00Z",
    "expires_at": "2027-01-31T22:59:59Z",
}
BALANCE: dict[str, Any] = {
    "customer_id": CUSTOMER_ID,
    "available": 340,
    "pending": 25,
    "reserved": 0,
    "debt": 0,
    "tier": "silver",
    "trailing_spend": 132_500,
    "expiring": [{"amount": 120, "expires_at": "2026-06-30T21:59:59Z", "pending": 0}, EXPIRING],
    "pending_lots": [PENDING],
}
