"""The gateway's public marketer schemas against the OpenAPI the running orchestrator serves.

The gateway owns its schemas (it imports no service package); this test is what keeps them
equal to the orchestrator's: every body a marketer sends and every answer they read must have
the same shape on both sides, once references are inlined and prose is set aside.
"""

from typing import Any

import httpx
import pytest

from kit.stack import Platform

pytestmark = pytest.mark.e2e
# (method, gateway path, orchestrator path): the gateway's `{action}` routes stand for several.
ROUTES = [
    ("get", "/v1/chains", "/chains"),
    ("post", "/v1/chains", "/chains"),
    ("get", "/v1/chains/templates", "/chains/templates"),
    ("post", "/v1/chains/templates/{template_id}/copy", "/chains/templates/{template_id}/copy"),
    ("post", "/v1/chains/validate", "/chains/validate"),
    ("get", "/v1/chains/{chain_id}", "/chains/{chain_id}"),
    ("put", "/v1/chains/{chain_id}", "/chains/{chain_id}"),
    ("get", "/v1/chains/{chain_id}/versions", "/chains/{chain_id}/versions"),
    ("get", "/v1/chains/{chain_id}/versions/{number}", "/chains/{chain_id}/versions/{number}"),
    ("post", "/v1/chains/{chain_id}/publish", "/chains/{chain_id}/publish"),
    ("post", "/v1/chains/{chain_id}/dry-run", "/chains/{chain_id}/dry-run"),
    ("post", "/v1/chains/{chain_id}/{action}", "/chains/{chain_id}/pause"),
    ("post", "/v1/chains/{chain_id}/{action}", "/chains/{chain_id}/resume"),
    ("post", "/v1/chains/{chain_id}/{action}", "/chains/{chain_id}/archive"),
    ("post", "/v1/chains/{chain_id}/enrollments", "/chains/{chain_id}/enrollments"),
    (
        "get",
        "/v1/chains/{chain_id}/enrollments/{customer_id}",
        "/chains/{chain_id}/enrollments/{customer_id}",
    ),
    (
        "post",
        "/v1/chains/{chain_id}/enrollments/{customer_id}/cancel",
        "/chains/{chain_id}/enrollments/{customer_id}/cancel",
    ),
    ("get", "/v1/campaigns", "/campaigns"),
    ("post", "/v1/campaigns", "/campaigns"),
    ("get", "/v1/campaigns/{campaign_id}", "/campaigns/{campaign_id}"),
    ("post", "/v1/campaigns/{campaign_id}/{action}", "/campaigns/{campaign_id}/start"),
    ("post", "/v1/campaigns/{campaign_id}/{action}", "/campaigns/{campaign_id}/pause"),
    ("post", "/v1/campaigns/{campaign_id}/{action}", "/campaigns/{campaign_id}/resume"),
    ("get", "/v1/analytics/chains/{chain_id}/steps", "/analytics/chains/{chain_id}/steps"),
    ("get", "/v1/analytics/campaigns/{campaign_id}", "/analytics/campaigns/{campaign_id}"),
]
# (method, gateway path, service, service path) for routes served by other services.
ELSEWHERE = [
    (
        "get",
        "/v1/customers/{customer_id}/enrollments",
        "orchestrator",
        "/customers/{customer_id}/enrollments",
    ),
    (
        "get",
        "/v1/customers/{customer_id}/messages",
        "notifier",
        "/customers/{customer_id}/deliveries",
    ),
    ("post", "/v1/templates/preview", "notifier", "/templates/preview"),
    ("get", "/v1/customers/{customer_id}/purchases", "loyalty", "/members/{member_id}/purchases"),
    ("get", "/v1/customers/{customer_id}/lots", "loyalty", "/members/{member_id}/lots"),
    ("get", "/v1/segments", "segments", "/segments"),
]
PROSE = frozenset({"title", "description", "examples", "example"})


def shape(node: Any, document: dict[str, Any]) -> Any:
    """`node` with every `$ref` inlined and every prose key dropped."""
    if isinstance(node, list):
        return [shape(item, document) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return shape(document["components"]["schemas"][name], document)
    kept = {k: v for k, v in node.items() if k not in PROSE}
    if "discriminator" in kept:  # its mapping names components, which may be named apart
        kept["discriminator"] = {"propertyName": kept["discriminator"]["propertyName"]}
    return {key: shape(value, document) for key, value in kept.items()}


def body_of(operation: dict[str, Any], document: dict[str, Any]) -> Any:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    return shape(body.get("schema"), document)


def success_of(operation: dict[str, Any], document: dict[str, Any]) -> tuple[str, Any]:
    status, answer = next((s, a) for s, a in operation["responses"].items() if s.startswith("2"))
    schema = answer.get("content", {}).get("application/json", {}).get("schema")
    return status, shape(schema, document)


async def served(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        answer = await client.get("/openapi.json")
    answer.raise_for_status()
    document: dict[str, Any] = answer.json()
    return document


async def test_every_marketer_body_and_answer_matches_the_orchestrator(platform: Platform) -> None:
    public = await served(platform.gateway)
    internal = await served(platform.service("orchestrator"))
    for method, public_path, internal_path in ROUTES:
        ours = public["paths"][public_path][method]
        theirs = internal["paths"][internal_path][method]
        where = f"{method.upper()} {public_path} ~ {internal_path}"
        assert body_of(ours, public) == body_of(theirs, internal), where
        assert success_of(ours, public) == success_of(theirs, internal), where


async def test_the_customer_pages_match_the_services_that_serve_them(platform: Platform) -> None:
    public = await served(platform.gateway)
    for method, public_path, service, internal_path in ELSEWHERE:
        internal = await served(platform.service(service))
        ours = public["paths"][public_path][method]
        theirs = internal["paths"][internal_path][method]
        where = f"{method.upper()} {public_path} ~ {service} {internal_path}"
        assert body_of(ours, public) == body_of(theirs, internal), where
        assert success_of(ours, public) == success_of(theirs, internal), where


async def test_no_marketer_body_is_an_open_object(platform: Platform) -> None:
    public = await served(platform.gateway)
    for method, path, _ in ROUTES:
        body = body_of(public["paths"][path][method], public)
        _, answer = success_of(public["paths"][path][method], public)
        for schema in (body, answer):
            assert schema != {"type": "object", "additionalProperties": True}, (method, path)
            assert schema is None or schema.get("type") != "object" or schema.get("properties")
