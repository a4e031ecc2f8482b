"""A request whose trace is not sampled costs no span at all: the head decision is made from
its ``traceparent`` before FastAPI's telemetry builds one, and its calls to other services send
the context on without the client instrumentations' spans. A sampled request gets the standard
instrumentations' spans, as before."""

import asyncio
import json
import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp import web
from fastapi import APIRouter, Request
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, TraceFlags
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from kit import tracing
from kit.errors import ServiceUnavailable
from kit.logs import JsonFormatter
from kit.settings import ServiceSettings
from kit.stack import Infra, free_port
from kit.testing import app_client
from kit.web import create_service_app
from tests.kit.spans import CountingSampler, tracing_on, unsampled_span

Traced = tuple[CountingSampler, InMemorySpanExporter]


def traced_at(monkeypatch: pytest.MonkeyPatch, rate: float) -> Iterator[Traced]:
    """Tracing on as configure_tracing sets it at ``rate``, put back after the test."""
    counting = CountingSampler(tracing.sampler(ServiceSettings(tracing_sample_rate=rate)))
    bound = tracing.TraceIdRatioBased(rate).bound
    monkeypatch.setattr(tracing, "_root_bound", bound, raising=False)
    for exporter in tracing_on(monkeypatch, counting):
        yield counting, exporter


@pytest.fixture
def none_sampled(monkeypatch: pytest.MonkeyPatch) -> Iterator[Traced]:
    yield from traced_at(monkeypatch, 0.0)


@pytest.fixture
def all_sampled(monkeypatch: pytest.MonkeyPatch) -> Iterator[Traced]:
    yield from traced_at(monkeypatch, 1.0)


router = APIRouter()


@router.get("/seen")
async def seen(request: Request) -> dict[str, Any]:
    context = trace.get_current_span().get_span_context()
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "seen", None, None)
    logged = json.loads(JsonFormatter("t").format(record))
    return {
        "trace_id": f"{context.trace_id:032x}",
        "sampled": context.trace_flags.sampled,
        "logged": logged.get("trace_id"),
    }


@router.get("/crash")
async def crash() -> None:
    raise RuntimeError("a bug")


@router.get("/unavailable")
async def unavailable() -> None:
    raise ServiceUnavailable("the database is away")


@router.get("/slow")
async def slow() -> dict[str, bool]:
    await asyncio.sleep(0.05)
    return {"done": True}


class Lines(logging.Handler):
    """Log lines as the services write them, formatted while the request runs."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter("t"))
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
async def client(infra: Infra, sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    # Built inside the test's tracing: the app reads whether tracing is on when it is made.
    values = {"service_name": "t", "database_url": sqlite_url, **infra.servers}
    settings = ServiceSettings(**values)  # type: ignore[arg-type]
    app = create_service_app(settings, title="t", description="t", routers=[router])
    async with app_client(app) as client:
        yield client


def traceparent(trace_id: str, sampled: bool) -> dict[str, str]:
    return {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-{'01' if sampled else '00'}"}


async def continued_and_started(
    client: httpx.AsyncClient, sampled: bool
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The caller's trace id, and what a request continuing it and one starting a trace saw."""
    caller = secrets.token_hex(16)
    continued = (await client.get("/seen", headers=traceparent(caller, sampled))).json()
    return caller, continued, (await client.get("/seen")).json()


async def test_an_unsampled_request_runs_in_its_trace_without_a_span(
    none_sampled: Traced, client: httpx.AsyncClient
) -> None:
    counting, exporter = none_sampled
    caller, continued, started = await continued_and_started(client, False)

    assert continued == {"trace_id": caller, "sampled": False, "logged": caller}
    # A request that starts a trace, not sampled at this rate, still has one for its logs.
    assert started["trace_id"] != "0" * 32 and not started["sampled"]
    assert started["logged"] == started["trace_id"]
    assert counting.asked == [] and exporter.get_finished_spans() == ()


async def test_an_unsampled_request_s_unhandled_error_is_logged_with_its_trace(
    none_sampled: Traced, client: httpx.AsyncClient
) -> None:
    lines = Lines()
    errors = logging.getLogger("kit.errors")
    errors.addHandler(lines)
    try:
        caller = secrets.token_hex(16)
        assert (await client.get("/crash", headers=traceparent(caller, False))).status_code == 500
    finally:
        errors.removeHandler(lines)
    [line] = [line for line in lines.lines if line["msg"] == "unhandled error"]
    assert line["trace_id"] == caller


async def test_an_unsampled_request_that_fails_is_kept_as_its_server_span(
    none_sampled: Traced, client: httpx.AsyncClient
) -> None:
    """Errors are kept whatever the head decision: an error raised (500) or a 5xx answered
    leaves the request's server span in its trace; a 4xx or a quick answer leaves none."""
    _counting, exporter = none_sampled
    caller = secrets.token_hex(16)
    headers = traceparent(caller, False)
    assert (await client.get("/crash", headers=headers)).status_code == 500
    assert (await client.get("/unavailable", headers=headers)).status_code == 503
    assert (await client.get("/nowhere", headers=headers)).status_code == 404
    assert (await client.get("/seen", headers=headers)).status_code == 200
    crashed, refused = exporter.get_finished_spans()
    for span, status in ((crashed, 500), (refused, 503)):
        assert span.kind is SpanKind.SERVER and span.context is not None
        assert f"{span.context.trace_id:032x}" == caller
        assert span.attributes is not None
        assert span.attributes["http.response.status_code"] == status
        assert span.attributes["kit.kept"] == "error"
        assert span.status.status_code is trace.StatusCode.ERROR
    assert crashed.name == "GET /crash" and refused.name == "GET /unavailable"
    assert [event.name for event in crashed.events] == ["exception"]


async def test_an_unsampled_request_slower_than_the_threshold_is_kept(
    none_sampled: Traced, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _counting, exporter = none_sampled
    monkeypatch.setattr(tracing, "_keep_slower_than_ns", 10_000_000)  # 10 ms; /slow takes 50
    started = (await client.get("/slow")).json()
    assert started == {"done": True}
    [kept] = exporter.get_finished_spans()
    assert kept.attributes is not None and kept.attributes["kit.kept"] == "slow"
    assert kept.status.status_code is trace.StatusCode.UNSET
    assert kept.end_time is not None and kept.start_time is not None
    assert kept.end_time - kept.start_time >= 10_000_000
    monkeypatch.setattr(tracing, "_keep_slower_than_ns", 0)  # 0: no slow one is kept
    await client.get("/slow")
    assert len(exporter.get_finished_spans()) == 1


async def test_a_sampled_request_gets_fastapi_s_server_span_once_sampled(
    all_sampled: Traced, client: httpx.AsyncClient
) -> None:
    counting, exporter = all_sampled
    caller, continued, started = await continued_and_started(client, True)
    # A caller's decision is followed whatever the rate: unsampled stays unsampled.
    unsampled = (
        await client.get("/seen", headers=traceparent(secrets.token_hex(16), False))
    ).json()

    assert continued == {"trace_id": caller, "sampled": True, "logged": caller}
    assert started["sampled"]
    assert not unsampled["sampled"]
    servers = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert [f"{s.context.trace_id:032x}" for s in servers if s.context] == [
        caller,
        started["trace_id"],
    ]
    assert all(s.attributes and s.attributes["http.route"] == "/seen" for s in servers)
    assert counting.asked == ["GET", "GET"]


async def test_probes_are_never_traced(all_sampled: Traced, client: httpx.AsyncClient) -> None:
    _, exporter = all_sampled
    assert (await client.get("/healthz")).status_code == 200
    assert exporter.get_finished_spans() == ()


# --- the calls a request makes to other services ----------------------------------------------


Upstream = tuple[str, list[dict[str, str]]]


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    """A real HTTP server that keeps the headers of each request it gets."""
    received: list[dict[str, str]] = []

    async def keep(request: web.Request) -> web.Response:
        received.append(dict(request.headers))
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/x", keep)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/x", received
    await runner.cleanup()


@pytest.fixture
def clients_instrumented(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """kit's client instrumentations, undone after the test (they patch the client classes)."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    monkeypatch.setattr(
        httpx.AsyncHTTPTransport,
        "handle_async_request",
        httpx.AsyncHTTPTransport.handle_async_request,
    )
    monkeypatch.setattr(aiohttp.ClientSession, "__init__", aiohttp.ClientSession.__init__)
    monkeypatch.setattr(Redis, "execute_command", Redis.execute_command)
    monkeypatch.setattr(Pipeline, "execute", Pipeline.execute)
    tracing._instrument_libraries()
    yield
    HTTPXClientInstrumentor().uninstrument()


async def calls_in(span: trace.Span, upstream: Upstream) -> list[dict[str, str]]:
    """The headers the upstream got from an httpx and an aiohttp call made in ``span``."""
    url, received = upstream
    with trace.use_span(span, end_on_exit=True):
        async with httpx.AsyncClient() as client:
            assert (await client.get(url)).status_code == 200
        async with aiohttp.ClientSession() as session, session.get(url) as answer:
            assert answer.status == 200
    return received


@pytest.mark.usefixtures("clients_instrumented")
async def test_calls_in_an_unsampled_trace_send_the_decision_on_without_a_span(
    all_sampled: Traced, upstream: Upstream
) -> None:
    counting, exporter = all_sampled
    request = unsampled_span()
    received = await calls_in(request, upstream)
    context = request.get_span_context()
    expected = f"00-{context.trace_id:032x}-{context.span_id:016x}-00"
    assert [headers["traceparent"] for headers in received] == [expected, expected]
    assert counting.asked == [] and exporter.get_finished_spans() == ()


@pytest.mark.usefixtures("clients_instrumented")
async def test_calls_in_a_sampled_trace_get_the_standard_client_spans(
    all_sampled: Traced, upstream: Upstream
) -> None:
    request = tracing.tracer().start_span("GET /seen", kind=SpanKind.SERVER)
    received = await calls_in(request, upstream)
    exporter = all_sampled[1]
    clients = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert len(clients) == 2
    for span, headers in zip(clients, received, strict=True):
        assert span.context is not None and span.parent is not None
        assert span.parent.span_id == request.get_span_context().span_id
        # The next service's span is a child of the client span, in the same sampled trace.
        ids, flags = headers["traceparent"].rsplit("-", 1)
        assert ids == f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}"
        assert int(flags, 16) & TraceFlags.SAMPLED
