"""Object-level authorization: an app key acts only for its own customer, on every route.

The routes are read from the gateway's own OpenAPI when the test runs, so a route added later
with a customer id in its path, query or body is covered without touching this test.
"""

from typing import Any

from gateway.app import create_app
from tests.gateway.conftest import CUSTOMER, Gateway, bearer

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
