"""The POS purchase flow: quote, reserve, confirm, cancel and return, forwarded to loyalty.

Retries are safe twice over: loyalty answers the same txid and step (or return id) with the
same body with its first answer and a changed body with a 409, in the same transaction as the
effect; the gateway's middleware does the same for any ``Idempotency-Key``.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from gateway.auth import scoped
from gateway.keys import Caller
from gateway.upstreams import Loyalty, forward
from kit.errors import PROBLEM_JSON
from loyalty.purchase_schemas import (
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

router = APIRouter(prefix="/v1/purchases", tags=["purchases"])
Pos = Annotated[Caller, Depends(scoped("pos"))]


def _problem(status: int, code: str) -> dict[int | str, dict[str, Any]]:
    return {status: {"description": code, "content": {PROBLEM_JSON: {}}}}


@router.post(
    "/calculate",
    response_model=QuoteOut,
    summary="Quote a receipt: points redeemable per line, accrual preview, payable amount",
    responses=_problem(404, "member_not_found"),
)
async def calculate(body: Receipt, _key: Pos, client: Loyalty) -> Response:
    return await forward(client, "POST", "/purchases/calculate", body)


@router.post(
    "",
    status_code=201,
    response_model=ReservationOut,
    summary="Reserve the points of a receipt under the POS txid (released after the TTL)",
    responses={
        **_problem(409, "quote_changed, insufficient_points, txid_reused, idempotency_key_reused"),
        **_problem(404, "member_not_found"),
    },
)
async def reserve(body: ReserveRequest, _key: Pos, client: Loyalty) -> Response:
    return await forward(client, "POST", "/purchases", body)


@router.post(
    "/{txid}/confirm",
    response_model=ConfirmationOut,
    summary="Confirm: capture the reserved points, accrue, record the purchase",
    responses={
        **_problem(409, "reservation_lapsed, purchase_cancelled, idempotency_key_reused"),
        **_problem(404, "purchase_not_found"),
    },
)
async def confirm(
    txid: str,
    _key: Pos,
    client: Loyalty,
    body: StepRequest | None = None,
) -> Response:
    return await forward(client, "POST", f"/purchases/{txid}/confirm", body or StepRequest())


@router.post(
    "/{txid}/cancel",
    response_model=CancellationOut,
    summary="Cancel: release the reserved points",
    responses={**_problem(409, "purchase_confirmed"), **_problem(404, "purchase_not_found")},
)
async def cancel(
    txid: str,
    _key: Pos,
    client: Loyalty,
    body: StepRequest | None = None,
) -> Response:
    return await forward(client, "POST", f"/purchases/{txid}/cancel", body or StepRequest())


@router.post(
    "/{txid}/returns",
    status_code=201,
    response_model=ReturnOut,
    summary="Return some lines and quantities: refund, reverse accrual, restore points",
    responses={
        **_problem(422, "return_exceeds_purchase"),
        **_problem(409, "purchase_not_confirmed, txid_reused"),
    },
)
async def return_items(
    txid: str,
    body: ReturnRequest,
    _key: Pos,
    client: Loyalty,
) -> Response:
    return await forward(client, "POST", f"/purchases/{txid}/returns", body)
