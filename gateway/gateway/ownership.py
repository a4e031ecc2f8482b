"""Object-level authorization: a bound key acts only for its own customer or store.

Checked centrally for every route, from the ids a request names: path parameters, query
parameters and top-level body fields. Route modules need nothing to get it.
"""

import json
from contextvars import ContextVar

from fastapi import Request

from gateway.keys import Caller
from kit.errors import Forbidden

CUSTOMER_FIELDS = ("customer_id", "member_id")
CUSTOMER_LIST_FIELDS = ("customer_ids", "member_ids")
STORE_FIELDS = ("store_id",)

# The key of the request being served, for checks made while forwarding it.
current_key: ContextVar[Caller | None] = ContextVar("current_key", default=None)


class OtherCustomer(Forbidden):
    code = "customer_mismatch"
    title = "This key acts only for its own customer"


class OtherStore(Forbidden):
    code = "store_mismatch"
    title = "This key is bound to another store"


async def _body_fields(request: Request) -> dict[str, object]:
    if request.method not in ("POST", "PUT", "PATCH"):
        return {}
    try:
        parsed = json.loads(await request.body() or b"null")
    except ValueError:
        return {}  # validation of the route answers with the precise error
    return parsed if isinstance(parsed, dict) else {}


def _named_ids(request: Request, body: dict[str, object], fields: tuple[str, ...]) -> list[str]:
    found: list[object] = []
    for field in fields:
        found += [request.path_params.get(field), body.get(field)]
        found += request.query_params.getlist(field)
    return [str(value) for value in found if value is not None]


def _listed_ids(body: dict[str, object]) -> list[str]:
    listed = [body.get(field) for field in CUSTOMER_LIST_FIELDS]
    return [str(item) for items in listed if isinstance(items, list) for item in items]


async def check_request(request: Request, key: Caller) -> None:
    if key.customer_id is None and key.store_id is None:
        return
    body = await _body_fields(request)
    if key.customer_id is not None:
        named = _named_ids(request, body, CUSTOMER_FIELDS) + _listed_ids(body)
        if any(value != key.customer_id for value in named):
            raise OtherCustomer()
    stores = _named_ids(request, body, STORE_FIELDS) if key.store_id is not None else []
    if any(value != key.store_id for value in stores):
        raise OtherStore()


def belongs_to_other_customer(content: bytes) -> bool:
    """For JSON answers about objects named by other ids (a purchase, a delivery)."""
    key = current_key.get()
    if key is None or key.customer_id is None:
        return False  # only a customer's own key is limited: the answer is not even parsed
    try:
        answer = json.loads(content)
    except ValueError:
        return False
    if not isinstance(answer, dict):
        return False
    owners = [answer.get(field) for field in CUSTOMER_FIELDS]
    return any(owner is not None and str(owner) != key.customer_id for owner in owners)
