"""The public OpenAPI documents what the gateway really sends, with examples."""

from typing import Any

from gateway.app import create_app
from gateway.settings import GatewaySettings

OWN_ROUTES = [
    ("post", "/v1/customers"),
    ("get", "/v1/customers/{customer_id}"),
    ("post", "/v1/events"),
    ("post", "/v1/purchases/calculate"),
    ("post", "/v1/purchases"),
    ("post", "/v1/purchases/{txid}/returns"),
]


def schema() -> dict[str, Any]:
    return create_app(GatewaySettings()).openapi()


def test_every_public_route_documents_its_problems_and_headers() -> None:
    paths = schema()["paths"]
    public = [
        (m, p, op) for p, ops in paths.items() if p.startswith("/v1/") for m, op in ops.items()
    ]
    assert public
    for method, path, operation in public:
        for status in ("401", "403", "413", "422", "429", "503"):
            content = operation["responses"][status]["content"]
            assert "application/problem+json" in content, (method, path, status)
        assert operation.get("summary"), (method, path)
        if method == "post":
            names = [p["name"] for p in operation["parameters"]]
            assert "Idempotency-Key" in names, path


def test_the_gateways_own_writes_carry_examples() -> None:
    paths = schema()["paths"]
    components = schema()["components"]["schemas"]
    for method, path in OWN_ROUTES:
        body = paths[path][method].get("requestBody")
        if body is None:
            continue
        media = body["content"]["application/json"]
        ref = media["schema"].get("$ref", "")
        named = components.get(ref.rsplit("/", 1)[-1], {})
        assert media.get("examples") or named.get("examples"), path
