import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from gateway.auth import scoped
from gateway.keys import Caller
from gateway.upstreams import Loyalty, forward
from loyalty.schemas import BalanceOut, MemberCreate, MemberOut

router = APIRouter(prefix="/v1", tags=["customers"])
PosOrApp = Annotated[Caller, Depends(scoped("pos", "app"))]


@router.post(
    "/customers",
    status_code=201,
    response_model=MemberOut,
    summary="Register a customer",
    responses={409: {"description": "A customer with this phone or email exists"}},
)
async def register_customer(
    body: MemberCreate, caller: PosOrApp, client: Loyalty, request: Request
) -> Response:
    # Loyalty keeps the first answer with the member, so a retry replays it even when the
    # gateway's own record is gone; the key it keeps is scoped to the caller, as ours is.
    key = request.headers.get("idempotency-key")
    forwarded = {"Idempotency-Key": scoped_key(caller, key)} if key else {}
    return await forward(client, "POST", "/members", body.model_dump(mode="json"), forwarded)


def scoped_key(caller: Caller, key: str) -> str:
    return hashlib.sha256(f"{caller.id}\n{key}".encode()).hexdigest()


@router.get("/customers/{customer_id}", response_model=MemberOut, summary="Read a customer")
async def get_customer(customer_id: str, _key: PosOrApp, client: Loyalty) -> Response:
    return await forward(client, "GET", f"/members/{customer_id}")


@router.get(
    "/customers/{customer_id}/balance",
    response_model=BalanceOut,
    summary="Points available, pending, reserved, and the next expiring amounts with dates",
)
async def get_balance(customer_id: str, _key: PosOrApp, client: Loyalty) -> Response:
    return await forward(client, "GET", f"/members/{customer_id}/balance")
