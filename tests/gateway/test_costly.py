"""Every route that sends messages or grants points has the stricter "costly" rate limit.

The routes are read from the gateway's OpenAPI when the test runs; whether a route sends is
judged from what its documentation says it does, independently of the gateway's own rule, so a
sending route added later that the rule misses fails here.
"""

import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends

from gateway.app import create_app
from gateway.auth import scoped
from gateway.keys import Caller
from gateway.ratelimit import is_costly
from kit.db import SessionFactory
from kit.stack import Infra, free_port
from kit.testing import app_client
from tests.gateway.conftest import Gateway, bearer, settings_for

# An operation sends messages or grants points when its summary starts with such a verb.
SENDS = re.compile(r"^(send|resend|deliver|enrol|enroll|grant|start|launch)\b", re.IGNORECASE)
WRITES = ("post", "put", "patch")

# A route another module may add later, classified by the rule without being named anywhere.
later = APIRouter(prefix="/v1")
Marketer = Annotated[Caller, Depends(scoped("marketer"))]


@later.post("/customers/{customer_id}/grants", summary="Grant points to a customer")
async def grant(customer_id: str, _key: Marketer) -> dict[str, str]:
    return {"granted": customer_id}


@pytest.fixture
async def gateway_alone(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory
) -> AsyncIterator[Gateway]:
    nowhere = f"http://127.0.0.1:{free_port()}"
    urls = {f"{name}_url": nowhere for name in ("loyalty", "segments", "notifier", "orchestrator")}
    settings = settings_for(infra, gateway_db, upstream_retries=0, **urls)
    app = create_app(settings)
    app.include_router(later)
    async with app_client(app) as client:
        yield Gateway(settings, gateway_sessions, client)


def operations(schema: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(method, concrete path, sends) for every keyed write, one per value of an enum segment."""
    found = []
    for template, items in schema["paths"].items():
        for method, operation in items.items():
            if method not in WRITES or not operation.get("security"):
                continue
            sends = bool(SENDS.match(operation.get("summary", "")))
            paths = [template]
            for param in operation.get("parameters", []):
                if param["in"] != "path":
                    continue
                values = param.get("schema", {}).get("enum", ["x1"])
                paths = [p.replace(f"{{{param['name']}}}", str(v)) for p in paths for v in values]
            found += [(method, path, sends) for path in paths]
    return found


async def test_every_sending_route_is_costly_and_no_other(gateway_alone: Gateway) -> None:
    key = await gateway_alone.key("pos", "marketer")
    schema = gateway_alone.client._transport.app.openapi()  # type: ignore[attr-defined]
    found = operations(schema)
    sending = {path for _, path, sends in found if sends}
    assert {"/v1/campaigns/x1/start", "/v1/chains/x1/enrollments"} <= sending
    assert "/v1/chains/x1/steps/x1/test-send" in sending and "/v1/customers/x1/grants" in sending
    for method, path, sends in found:
        answer = await gateway_alone.client.request(method, path, json={}, headers=bearer(key))
        policy = answer.headers.get("ratelimit-policy", "")
        expected = '"costly"' if sends else '"default"'
        assert policy.startswith(expected), (method, path, answer.status_code, policy)


def test_the_rule_reads_the_last_literal_segment_of_a_write() -> None:
    assert is_costly("POST", "/v1/campaigns/{campaign_id}/start", None)
    assert is_costly("POST", "/v1/chains/{chain_id}/enrollments", None)
    assert is_costly("POST", "/v1/templates/{template_id}/test-send", None)
    assert is_costly("PUT", "/v1/deliveries", None)
    assert not is_costly("POST", "/v1/chains/{chain_id}/enrollments/{customer_id}/cancel", None)
    assert not is_costly("GET", "/v1/deliveries/{delivery_id}", None)
    assert not is_costly("POST", "/v1/customers", None)
    assert is_costly("GET", "/v1/anything", {"x-costly": True})
