import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from gateway.auth import scoped
from gateway.customer_schemas import CustomerIn, CustomerOut
from gateway.keys import Caller
from gateway.pos_schemas import BalanceOut
from gateway.shedding import LoyaltyReads
from gateway.upstreams import Loyalty, forward

router = APIRouter(prefix="/v1", tags=["customers"])
PosOrApp = Annotated[Caller, Depends(scoped("pos", "app"))]
# Reading the balance takes a slot of the POS reads' bulkhead (gateway/shedding.py).
BalanceReader = Annotated[Caller, Depends(scoped("pos", "app", room="pos_reads"))]
# Registration is the till's (or the shop's server's) job, where the customer gives consent in
# person; an app key is bound to a customer who exists already and may not register others.
Pos = Annotated[Caller, Depends(scoped("pos"))]


@router.post(
    "/customers",
    status_code=201,
    response_model=CustomerOut,
    summary="Register a customer",
    description=(
        "POS keys only: an app key is 403 `missing_scope`. A phone or email that is taken is "
        "409 `member_exists`; the answer never names the customer who holds it."
    ),
    responses={409: {"description": "member_exists"}},
)
async def register_customer(
    body: CustomerIn, caller: Pos, client: Loyalty, request: Request
) -> Response:
    # Loyalty keeps the first answer with the member, so a retry replays it even when the
    # gateway's own record is gone; the key it keeps is scoped to the caller, as ours is.
    key = request.headers.get("idempotency-key")
    forwarded = {"Idempotency-Key": scoped_key(caller, key)} if key else {}
    # Only what the caller sent: loyalty applies its own defaults.
    payload = body.model_dump(mode="json", exclude_unset=True)
    return await forward(client, "POST", "/members", payload, forwarded)


def scoped_key(caller: Caller, key: str) -> str:
    return hashlib.sha256(f"{caller.id}\n{key}".encode()).hexdigest()


@router.get(
    "/customers/{customer_id}",
    response_model=CustomerOut,
    summary="Read a customer",
    responses={404: {"description": "customer_not_found"}},
)
async def get_customer(customer_id: str, _key: PosOrApp, client: Loyalty) -> Response:
    return await forward(client, "GET", f"/members/{customer_id}")


@router.get(
    "/customers/{customer_id}/balance",
    response_model=BalanceOut,
    summary="Points available, pending, reserved, and the next expiring amounts with dates",
    responses={404: {"description": "customer_not_found"}, 503: {"description": "overloaded"}},
)
async def get_balance(customer_id: str, _key: BalanceReader, client: LoyaltyReads) -> Response:
    return await forward(client, "GET", f"/members/{customer_id}/balance")
