"""The POS purchase flow: quote, reserve, confirm, cancel and return, forwarded to loyalty.

A purchase belongs to the store that reserved it: txids are unique per store. Every later step
is asked of loyalty for one store: a store-bound key's own (so another store's txid is 404 to
it, as if it did not exist), or the `store_id` an unbound key names. An unbound key that names
none reaches the purchase only while its txid is unique across stores (else 409
`txid_ambiguous`).

Retries are safe twice over: loyalty answers the same txid and step (or return id) with the
same body with its first answer and a changed body with a 409, in the same transaction as the
effect; the gateway's middleware does the same for any ``Idempotency-Key``.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Response

from gateway.auth import scoped
from gateway.keys import Caller
from gateway.paths import ID_PATTERN
from gateway.pos_schemas import (
    CancellationOut,
    ConfirmationOut,
    QuoteOut,
    Receipt,
    ReservationOut,
    ReserveRequest,
    ReturnOut,
    ReturnRequest,
    StepRequest,
)
from gateway.shedding import Kind, LoyaltyReads, LoyaltyWrites
from gateway.upstreams import forward
from kit.errors import PROBLEM_JSON

router = APIRouter(prefix="/v1/purchases", tags=["purchases"])
# A POS key, checked for the bulkhead whose slot the call takes (gateway/shedding.py).
POS_KEYS: dict[Kind, Callable[..., Awaitable[Caller]]] = {
    kind: scoped("pos", room=kind) for kind in ("pos_writes", "pos_reads")
}
PosWrites = Annotated[Caller, Depends(POS_KEYS["pos_writes"])]
PosReads = Annotated[Caller, Depends(POS_KEYS["pos_reads"])]
StoreId = Annotated[
    str | None,
    Query(
        pattern=ID_PATTERN,
        max_length=64,
        description=(
            "The store that reserved the purchase (txids are unique per store). A store-bound "
            "key need not name it: its own store is used. Required for a txid that two stores use."
        ),
    ),
]
STEP_CONFLICTS = "txid_ambiguous, idempotency_key_reused"


def step_path(txid: str, step: str, key: Caller, named: str | None) -> str:
    """Loyalty's path for one step of the purchase of ``txid`` at the caller's store."""
    store = key.store_id or named  # a bound key naming another store was refused (403)
    return f"/purchases/{txid}/{step}" + (f"?store_id={quote(store, safe='')}" if store else "")


def _problem(status: int, code: str) -> dict[int | str, dict[str, Any]]:
    return {status: {"description": code, "content": {PROBLEM_JSON: {}}}}


# Past its bulkhead's slots a POS call is shed at once (gateway/shedding.py).
OVERLOADED = _problem(503, "overloaded")


@router.post(
    "/calculate",
    response_model=QuoteOut,
    summary="Quote a receipt: points redeemable per line, accrual preview, payable amount",
    responses={**_problem(404, "member_not_found"), **OVERLOADED},
)
async def calculate(body: Receipt, _key: PosReads, client: LoyaltyReads) -> Response:
    return await forward(client, "POST", "/purchases/calculate", body)


@router.post(
    "",
    status_code=201,
    response_model=ReservationOut,
    summary="Reserve the points of a receipt under the POS txid (released after the TTL)",
    responses={
        **_problem(409, "quote_changed, insufficient_points, txid_reused, idempotency_key_reused"),
        **_problem(404, "member_not_found"),
        **OVERLOADED,
    },
)
async def reserve(body: ReserveRequest, _key: PosWrites, client: LoyaltyWrites) -> Response:
    return await forward(client, "POST", "/purchases", body)


@router.post(
    "/{txid}/confirm",
    response_model=ConfirmationOut,
    summary="Confirm: capture the reserved points, accrue, record the purchase",
    responses={
        **_problem(409, f"reservation_lapsed, purchase_cancelled, {STEP_CONFLICTS}"),
        **_problem(404, "purchase_not_found"),
        **OVERLOADED,
    },
)
async def confirm(
    txid: str,
    key: PosWrites,
    client: LoyaltyWrites,
    body: StepRequest | None = None,
    store_id: StoreId = None,
) -> Response:
    path = step_path(txid, "confirm", key, store_id)
    return await forward(client, "POST", path, body or StepRequest())


@router.post(
    "/{txid}/cancel",
    response_model=CancellationOut,
    summary="Cancel: release the reserved points",
    responses={
        **_problem(409, f"purchase_confirmed, {STEP_CONFLICTS}"),
        **_problem(404, "purchase_not_found"),
        **OVERLOADED,
    },
)
async def cancel(
    txid: str,
    key: PosWrites,
    client: LoyaltyWrites,
    body: StepRequest | None = None,
    store_id: StoreId = None,
) -> Response:
    path = step_path(txid, "cancel", key, store_id)
    return await forward(client, "POST", path, body or StepRequest())


@router.post(
    "/{txid}/returns",
    status_code=201,
    response_model=ReturnOut,
    summary="Return some lines and quantities: refund, reverse accrual, restore points",
    responses={
        **_problem(422, "return_exceeds_purchase"),
        **_problem(409, f"purchase_not_confirmed, txid_reused, {STEP_CONFLICTS}"),
        **_problem(404, "purchase_not_found"),
        **OVERLOADED,
    },
)
async def return_items(
    txid: str,
    body: ReturnRequest,
    key: PosWrites,
    client: LoyaltyWrites,
    store_id: StoreId = None,
) -> Response:
    return await forward(client, "POST", step_path(txid, "returns", key, store_id), body)
