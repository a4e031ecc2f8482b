"""Calls to internal services: bounded timeouts, retries only when safe, request ids passed on."""

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from starlette.types import Receive, Scope, Send

from gateway.app import create_app
from gateway.auth import scoped
from gateway.keys import Caller
from gateway.upstreams import (
    InProcessUpstream,
    Loyalty,
    UpstreamTimeout,
    UpstreamUnavailable,
    forward,
)
from kit.db import SessionFactory
from kit.logs import JsonFormatter, request_id_var
from kit.stack import Infra, free_port
from kit.testing import app_client, wait_for
from tests.gateway.conftest import Gateway, bearer, settings_for

CUSTOMER_BODY = {"email": "anna@example.com"}


@dataclass
class SilentService:
    """A TCP peer that takes requests and never answers: a hung internal service."""

    port: int
    requests: list[bytes] = field(default_factory=list)


@pytest.fixture
async def silent() -> AsyncIterator[SilentService]:
    service = SilentService(free_port())

    async def take(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        service.requests.append(await reader.read(65536))
        await reader.read()  # holds the connection until the caller gives up
        writer.close()

    server = await asyncio.start_server(take, "127.0.0.1", service.port)
    async with server:
        yield service


async def gateway_with(
    infra: Infra, database: str, sessions: SessionFactory, loyalty_url: str
) -> AsyncIterator[Gateway]:
    settings = settings_for(
        infra,
        database,
        loyalty_url=loyalty_url,
        upstream_timeout_seconds=0.3,
        upstream_retries=2,
    )
    async with app_client(create_app(settings)) as client:
        yield Gateway(settings, sessions, client)


@pytest.fixture
async def to_silent(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory, silent: SilentService
) -> AsyncIterator[Gateway]:
    async for gateway in gateway_with(
        infra, gateway_db, gateway_sessions, f"http://127.0.0.1:{silent.port}"
    ):
        yield gateway


async def test_a_service_that_is_down_is_a_503_with_a_code(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory
) -> None:
    async for gateway in gateway_with(
        infra, gateway_db, gateway_sessions, f"http://127.0.0.1:{free_port()}"
    ):
        key = await gateway.key("pos")
        read = await gateway.client.get("/v1/customers/c-1", headers=bearer(key))
        write = await gateway.client.post("/v1/customers", json=CUSTOMER_BODY, headers=bearer(key))
    for answer in (read, write):
        assert (answer.status_code, answer.json()["code"]) == (503, "upstream_unavailable")
        assert answer.headers["content-type"] == "application/problem+json"
        assert "loyalty" in answer.json()["detail"]


async def test_a_hung_read_is_retried_a_bounded_number_of_times(
    to_silent: Gateway, silent: SilentService
) -> None:
    key = await to_silent.key("pos")
    answer = await to_silent.client.get("/v1/customers/c-1", headers=bearer(key))
    assert (answer.status_code, answer.json()["code"]) == (503, "upstream_timeout")
    assert len(silent.requests) == 3


async def test_a_hung_write_without_an_idempotency_key_is_never_repeated(
    to_silent: Gateway, silent: SilentService
) -> None:
    key = await to_silent.key("pos")
    answer = await to_silent.client.post("/v1/customers", json=CUSTOMER_BODY, headers=bearer(key))
    assert (answer.status_code, answer.json()["code"]) == (503, "upstream_timeout")
    assert len(silent.requests) == 1


async def test_a_hung_write_with_an_idempotency_key_is_retried(
    to_silent: Gateway, silent: SilentService
) -> None:
    key = await to_silent.key("pos")
    headers = bearer(key, **{"Idempotency-Key": "reg-1"})
    answer = await to_silent.client.post("/v1/customers", json=CUSTOMER_BODY, headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (503, "upstream_timeout")
    assert len(silent.requests) == 3
    # The failed attempt let go of the key: the caller can retry it.
    again = await to_silent.client.post("/v1/customers", json=CUSTOMER_BODY, headers=headers)
    assert again.json()["code"] == "upstream_timeout"


async def test_the_request_id_reaches_the_service_and_the_access_log(
    to_silent: Gateway, silent: SilentService
) -> None:
    key = await to_silent.key("pos")
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonFormatter("gateway"))
    logging.getLogger("gateway.access").addHandler(handler)
    try:
        answer = await to_silent.client.get(
            "/v1/customers/c-1", headers=bearer(key, **{"X-Request-ID": "till-7-req-42"})
        )
    finally:
        logging.getLogger("gateway.access").removeHandler(handler)
    assert answer.headers["x-request-id"] == "till-7-req-42"
    await wait_for(lambda: silent.requests, "the forwarded request")
    assert b"x-request-id: till-7-req-42" in silent.requests[0].lower()
    logged = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert logged[-1]["request_id"] == "till-7-req-42"
    assert "GET /v1/customers/{customer_id} 503" in logged[-1]["msg"]
    assert f"key={key.split('_')[1]}" in logged[-1]["msg"]


raw_calls = APIRouter(prefix="/v1")


@raw_calls.get("/test-raw/{thing_id}")
async def raw_call(
    thing_id: str, _key: Annotated[Caller, Depends(scoped("pos"))], client: Loyalty
) -> dict[str, int]:
    answer = await client.request("GET", f"/things/{thing_id}")  # not through `forward`
    return {"status": answer.status_code}


async def test_a_route_calling_a_service_itself_never_answers_500(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory
) -> None:
    settings = settings_for(infra, gateway_db, loyalty_url=f"http://127.0.0.1:{free_port()}")
    app = create_app(settings)
    app.include_router(raw_calls)
    async with app_client(app) as client:
        key = await Gateway(settings, gateway_sessions, client).key("pos")
        odd = await client.get("/v1/test-raw/a%1Bb", headers=bearer(key))
        down = await client.get("/v1/test-raw/plain", headers=bearer(key))
    # An id that is not a plain id never reaches a service (gateway/paths.py).
    assert (odd.status_code, odd.json()["code"]) == (422, "invalid_path_parameter")
    assert (down.status_code, down.json()["code"]) == (503, "upstream_unavailable")


# --- a service served in the gateway's own process (the till's door) -----------------------


def in_process_service(finished: asyncio.Event) -> FastAPI:
    """A small service app: what `InProcessUpstream` hands a call to, as the door hands
    loyalty's app its calls."""
    service = FastAPI()

    @service.post("/things/{name}")
    async def echo(name: str, request: Request) -> dict[str, object]:
        return {
            "name": name,
            "query": request.url.query,
            "body": await request.json(),
            "request_id": request.headers.get("x-request-id"),
        }

    @service.post("/refused")
    async def refused() -> Response:
        body = {"type": "about:blank", "title": "No", "status": 409, "code": "txid_reused"}
        return Response(json.dumps(body), 409, media_type="application/problem+json")

    @service.post("/slow")
    async def slow() -> dict[str, bool]:
        await asyncio.sleep(0.5)
        finished.set()
        return {"done": True}

    @service.post("/broken")
    async def broken() -> None:
        raise RuntimeError("a bug")

    return service


async def test_an_in_process_service_answers_as_it_would_over_the_network() -> None:
    client = InProcessUpstream("loyalty", in_process_service(asyncio.Event()), 5.0, 0)
    token = request_id_var.set("rid-1")
    try:
        answer = await forward(client, "POST", "/things/a b?store_id=s1", {"n": 1})
        refused = await forward(client, "POST", "/refused", {})
    finally:
        request_id_var.reset(token)
    assert (answer.status_code, answer.media_type) == (200, "application/json")
    body = json.loads(bytes(answer.body))
    assert body == {"name": "a b", "query": "store_id=s1", "body": {"n": 1}, "request_id": "rid-1"}
    assert (refused.status_code, refused.media_type) == (409, "application/problem+json")
    assert json.loads(bytes(refused.body))["code"] == "txid_reused"


async def test_an_in_process_call_past_its_timeout_is_a_503_and_the_service_finishes_it() -> None:
    finished = asyncio.Event()
    client = InProcessUpstream("loyalty", in_process_service(finished), 0.05, 2)
    with pytest.raises(UpstreamTimeout):
        await forward(client, "POST", "/slow", {})  # a write without a key: never repeated
    assert not finished.is_set()
    await asyncio.wait_for(finished.wait(), 30)  # not cut off inside its work


async def test_an_in_process_service_that_fails_is_a_503_never_a_500() -> None:
    async def raises_at_once(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("before any answer")

    broken = InProcessUpstream("loyalty", in_process_service(asyncio.Event()), 5.0, 0)
    with pytest.raises(UpstreamUnavailable):  # a plain 500, then the error raised again
        await forward(broken, "POST", "/broken", {})
    with pytest.raises(UpstreamUnavailable):
        await forward(InProcessUpstream("loyalty", raises_at_once, 5.0, 0), "POST", "/x", {})
