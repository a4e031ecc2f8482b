"""The till's usual calls (quote, reserve, confirm), served without FastAPI's per-request
layers (kit.fastpath), with the routes' own answers.

For a call whose JSON body the route's model accepts, and whose query is at most a valid
`store_id` (a confirm's; the other two take none), the route would solve its dependencies and
forward. So does the fast route, with the same pieces in the same order: the path's ids checked,
the key (`POS_KEYS`: authentication, scope, ownership, the rate limit), a bulkhead slot, then the
call forwarded. Any other call is declined before the first of those and the route answers it:
there the body's validation error comes after the key's checks, which spend the rate limit.
"""

from collections.abc import Callable

from fastapi import Request, Response
from pydantic import BaseModel

from gateway.auth import bearer
from gateway.keys import Caller
from gateway.paths import check_path_parameters, is_id
from gateway.pos_schemas import Receipt, ReserveRequest, StepRequest
from gateway.routes import purchases
from gateway.shedding import Kind, loyalty_slot
from gateway.upstreams import forward
from kit.fastpath import FastRoute, json_body, query

MAX_STORE_ID = 64  # StoreId's bounds, as the route declares them


async def _forwarded(
    request: Request, kind: Kind, body: BaseModel, path_of: Callable[[Caller], str]
) -> Response:
    await check_path_parameters(request)
    key = await purchases.POS_KEYS[kind](request, await bearer(request))
    async with loyalty_slot(request, kind) as client:
        answer = await forward(client, "POST", path_of(key), body)
    return answer


async def calculate(request: Request) -> Response | None:
    body = json_body(request, Receipt) if not request.scope["query_string"] else None
    if body is None:
        return None
    return await _forwarded(request, "pos_reads", body, lambda _key: "/purchases/calculate")


async def reserve(request: Request) -> Response | None:
    body = json_body(request, ReserveRequest) if not request.scope["query_string"] else None
    if body is None:
        return None
    return await _forwarded(request, "pos_writes", body, lambda _key: "/purchases")


async def confirm(request: Request) -> Response | None:
    named = query(request, ("store_id",))
    store_id = named.get("store_id") if named is not None else None
    if named is None or (store_id is not None and not _is_store_id(store_id)):
        return None
    step = json_body(request, StepRequest)
    if step is None:
        return None
    txid = str(request.path_params["txid"])
    return await _forwarded(
        request,
        "pos_writes",
        step,
        lambda key: purchases.step_path(txid, "confirm", key, store_id),
    )


def _is_store_id(value: str) -> bool:
    return len(value) <= MAX_STORE_ID and is_id(value)


FAST_ROUTES = (
    FastRoute(purchases.calculate, calculate),
    FastRoute(purchases.reserve, reserve),
    FastRoute(purchases.confirm, confirm),
)
