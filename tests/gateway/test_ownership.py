"""Object-level authorization: an app key acts only for its own customer, on every route; a
store's POS key acts only on its own store's purchases.

The routes are read from the gateway's own OpenAPI when the test runs, so a route added later
with a customer id in its path, query or body is covered without touching this test.
"""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from gateway.app import create_app
from kit.db import SessionFactory
from kit.stack import Infra
from kit.testing import app_client
from tests.gateway.conftest import CUSTOMER, Gateway, bearer, settings_for
from tests.gateway.serving import real_loyalty

OTHER = "5d1f7a3e-0b9c-4f1e-8a2d-6c3b9e4f7a21"
CUSTOMER_FIELDS = ("customer_id", "member_id")


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def body_fields(schema: dict[str, Any], node: dict[str, Any]) -> set[str]:
    node = _resolve(schema, node)
    found = set(node.get("properties", {}))
    for key in ("oneOf", "anyOf", "allOf"):
        for option in node.get(key, []):
            found |= body_fields(schema, option)
    return found


def customer_routes(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path with ids filled in, body) for every operation that names a customer."""
    routes = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            params = {p["name"]: p["in"] for p in operation.get("parameters", [])}
            content = operation.get("requestBody", {}).get("content", {})
            body_schema = content.get("application/json", {}).get("schema", {})
            in_body = body_fields(schema, body_schema) & set(CUSTOMER_FIELDS)
            in_url = {name for name in params if name in CUSTOMER_FIELDS}
            if not in_body and not in_url:
                continue
            filled = path
            for name, where in params.items():
                if where == "path":
                    filled = filled.replace(f"{{{name}}}", OTHER if name in in_url else "x1")
            query = "&".join(f"{n}={OTHER}" for n in in_url if params[n] == "query")
            routes.append(
                (
                    method.upper(),
                    filled + (f"?{query}" if query else ""),
                    {f: OTHER for f in in_body},
                )
            )
    return routes


async def test_every_route_naming_a_customer_refuses_another_customer(gateway: Gateway) -> None:
    app_key = await gateway.key("app", customer_id=CUSTOMER)
    schema = create_app(gateway.settings).openapi()
    routes = customer_routes(schema)
    paths = {path for _, path, _ in routes}
    assert f"/v1/customers/{OTHER}" in paths and "/v1/events" in paths
    for method, path, body in routes:
        answer = await gateway.client.request(
            method, path, json=body or None, headers=bearer(app_key)
        )
        assert answer.status_code in (403, 404), (method, path, answer.status_code, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"


async def test_a_pos_key_bound_to_a_store_cannot_name_another_store(gateway: Gateway) -> None:
    pos_key = await gateway.key("pos", store_id="store-1")
    # Events carry no store, so any route that does is refused before its body is read.
    answer = await gateway.client.post(
        "/v1/events",
        json={"type": "product.viewed", "sku": "S", "customer_id": CUSTOMER, "store_id": "store-2"},
        headers=bearer(pos_key),
    )
    assert (answer.status_code, answer.json()["code"]) == (403, "store_mismatch")


# --- a purchase belongs to the store that reserved it; txids are unique per store

TXID = "till1-000001"
RECEIPT = {"channel": "offline", "lines": [{"sku": "LAMP", "quantity": 2, "price": 5_000}]}
RETURN = {"return_id": "r1", "lines": [{"sku": "LAMP", "quantity": 1}]}


@pytest.fixture
async def stores(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory
) -> AsyncIterator["Stores"]:
    async with real_loyalty(infra) as loyalty_url:
        settings = settings_for(infra, gateway_db, loyalty_url=loyalty_url)
        async with app_client(create_app(settings)) as client:
            gateway = Gateway(settings, gateway_sessions, client)
            a, b = (
                await gateway.key("pos", store_id="store-a"),
                await gateway.key("pos", store_id="store-b"),
            )
            yield Stores(gateway, a, b, await gateway.key("pos"))


@dataclass
class Stores:
    gateway: Gateway
    a: str  # a key bound to store-a
    b: str  # a key bound to store-b
    chain: str  # a key bound to no store (the chain's back office)

    async def post(self, key: str, path: str, body: object = None) -> tuple[int, str]:
        answer = await self.gateway.client.post(path, json=body or {}, headers=bearer(key))
        found = answer.json()
        return answer.status_code, str(found.get("code") or found.get("status") or "")

    async def customer(self, key: str) -> str:
        body = {"email": f"{uuid.uuid4().hex[:10]}@example.com"}
        answer = await self.gateway.client.post("/v1/customers", json=body, headers=bearer(key))
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    async def reserve(self, key: str, store: str, txid: str = TXID) -> tuple[int, str]:
        body = {**RECEIPT, "customer_id": await self.customer(key), "store_id": store, "txid": txid}
        return await self.post(key, "/v1/purchases", body)


async def test_two_stores_with_the_same_txid_each_run_their_own_purchase(stores: Stores) -> None:
    assert await stores.reserve(stores.a, "store-a") == (201, "reserved")
    assert await stores.reserve(stores.b, "store-b") == (201, "reserved")
    steps = f"/v1/purchases/{TXID}"
    assert await stores.post(stores.a, f"{steps}/confirm") == (200, "confirmed")
    # Store b's purchase under the same txid is untouched by store a's confirm.
    assert await stores.post(stores.b, f"{steps}/returns", RETURN) == (
        409,
        "purchase_not_confirmed",
    )
    assert await stores.post(stores.b, f"{steps}/cancel") == (200, "cancelled")
    assert await stores.post(stores.a, f"{steps}/cancel") == (409, "purchase_confirmed")
    assert await stores.post(stores.a, f"{steps}/returns", RETURN) == (201, "")
    # A key bound to no store names the store; without one the txid is ambiguous.
    assert await stores.post(stores.chain, f"{steps}/cancel") == (409, "txid_ambiguous")
    answer = await stores.post(stores.chain, f"{steps}/cancel?store_id=store-b")
    assert answer == (200, "cancelled")


async def test_a_key_of_another_store_finds_no_purchase_on_any_step(stores: Stores) -> None:
    assert await stores.reserve(stores.a, "store-a", "only-a-1") == (201, "reserved")
    steps = "/v1/purchases/only-a-1"
    for step, body in (("confirm", None), ("cancel", None), ("returns", RETURN)):
        assert await stores.post(stores.b, f"{steps}/{step}", body) == (404, "purchase_not_found")
    # Naming store a's id does not help store b's key; the chain's key reaches it by name.
    assert await stores.post(stores.b, f"{steps}/confirm?store_id=store-a") == (
        403,
        "store_mismatch",
    )
    assert await stores.post(stores.chain, f"{steps}/confirm?store_id=store-b") == (
        404,
        "purchase_not_found",
    )
    assert await stores.post(stores.a, f"{steps}/confirm") == (200, "confirmed")
    assert await stores.post(stores.b, f"{steps}/returns", RETURN) == (404, "purchase_not_found")
    assert await stores.post(stores.chain, f"{steps}/returns", RETURN) == (201, "")
