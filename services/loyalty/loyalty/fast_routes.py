"""The till's three usual requests, served without FastAPI's per-request layers (kit.fastpath).

Each takes only the request its route would take as the usual one: a JSON body the route's
model accepts, no ``Idempotency-Key`` (only internal callers send one, and it goes the session's
way), and for a confirm nothing in the query but a valid ``store_id``. Everything else declines
and gets the route's own answer. Taken, a request runs the route's own function.
"""

from fastapi import Request, Response

from kit.fastpath import FastRoute, json_body, query
from loyalty import routes
from loyalty.purchase_schemas import Receipt, ReserveRequest, StepRequest

IDEMPOTENCY_KEY = "idempotency-key"


def _usual(request: Request) -> bool:
    """No ``Idempotency-Key`` and no query."""
    return IDEMPOTENCY_KEY not in request.headers and not request.scope["query_string"]


async def calculate(request: Request) -> Response | None:
    body = json_body(request, Receipt) if _usual(request) else None
    return None if body is None else await routes.quoted(request, body)


async def reserve(request: Request) -> Response | None:
    body = json_body(request, ReserveRequest) if _usual(request) else None
    return None if body is None else await routes.reserved(request, body, None)


async def confirm(request: Request) -> Response | None:
    if IDEMPOTENCY_KEY in request.headers:
        return None
    named = query(request, ("store_id",))
    store_id = named.get("store_id") if named is not None else None
    if named is None or (store_id is not None and not 1 <= len(store_id) <= 64):
        return None  # StoreId's bounds, as the route declares them
    step = json_body(request, StepRequest)
    if step is None:
        return None
    return await routes.confirmed(request, request.path_params["txid"], step, store_id, None)


FAST_ROUTES = (
    FastRoute(routes.calculate, calculate),
    FastRoute(routes.reserve, reserve),
    FastRoute(routes.confirm, confirm),
)
