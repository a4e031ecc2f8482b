"""A trace that is not sampled costs no spans: SQL, Redis, the relay and the consumers ask the
sampler nothing, yet the unsampled decision still travels on, so no hop starts a trace of its
own. A sampled trace keeps its SQL and Redis spans."""

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased
from opentelemetry.trace import SpanContext, SpanKind
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from sqlalchemy import Integer, bindparam, text

from kit import tracing
from kit.bus import EventBus, Subscription, consume
from kit.contracts import MemberRegistered, MemberRegisteredPayload
from kit.db import SessionFactory, create_engine, new_metadata, unit_of_work
from kit.driver import DriverStatement, driver_statements
from kit.events import Event
from kit.outbox import Outbox, OutboxRelay, outbox_table
from kit.stack import Infra
from kit.testing import tables_in, wait_for
from tests.kit.spans import CountingSampler, tracing_on, unsampled_span

metadata = new_metadata()
outbox = Outbox(outbox_table(metadata))


@pytest.fixture
def sampler(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[CountingSampler, InMemorySpanExporter]]:
    """Tracing on for kit's own spans, kept in memory; the global provider is left alone."""
    counting = CountingSampler(ParentBased(ALWAYS_ON))
    for exporter in tracing_on(monkeypatch, counting, globally=False):
        yield counting, exporter


async def test_sql_makes_spans_in_a_sampled_trace_and_nothing_in_one_that_is_not(
    sampler: tuple[CountingSampler, InMemorySpanExporter], sqlite_url: str
) -> None:
    counting, exporter = sampler
    engine = create_engine(sqlite_url)
    tracing.instrument_engine(engine)
    try:
        with trace.use_span(unsampled_span()):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        async with engine.connect() as conn:  # outside any trace: the relay's poll, a sweep
            await conn.execute(text("SELECT 2"))
        assert counting.asked == []

        with tracing.tracer().start_as_current_span("POST /members", kind=SpanKind.SERVER) as root:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 3"))
    finally:
        await engine.dispose()
    [sql] = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert sql.name.startswith("SELECT")
    assert sql.attributes is not None and sql.attributes["db.statement"] == "SELECT 3"
    assert sql.parent is not None and sql.parent.span_id == root.get_span_context().span_id


async def test_statements_on_the_drivers_connection_are_spans_of_a_sampled_trace_only(
    sampler: tuple[CountingSampler, InMemorySpanExporter], postgres_url: str
) -> None:
    counting, exporter = sampler
    engine = create_engine(postgres_url)
    statement = DriverStatement(text("SELECT :n AS n").bindparams(bindparam("n", type_=Integer())))
    try:
        with trace.use_span(unsampled_span()):
            async with driver_statements(engine) as db:
                await db.fetch(statement, {"n": 1})
        assert counting.asked == []
        with tracing.tracer().start_as_current_span(
            "POST /purchases", kind=SpanKind.SERVER
        ) as root:
            async with driver_statements(engine) as db:
                await db.fetch(statement, {"n": 2})
    finally:
        await engine.dispose()
    [sql] = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert sql.name.startswith("SELECT") and sql.attributes is not None
    assert str(sql.attributes["db.statement"]).startswith("SELECT $1")
    assert sql.attributes["db.system"] == "postgresql"
    assert sql.parent is not None and sql.parent.span_id == root.get_span_context().span_id


@pytest.fixture
def redis_traced(monkeypatch: pytest.MonkeyPatch) -> None:
    # Put back after the test: the hooks wrap the client's classes.
    monkeypatch.setattr(Redis, "execute_command", Redis.execute_command)
    monkeypatch.setattr(Pipeline, "execute", Pipeline.execute)
    tracing._instrument_redis()


async def test_redis_commands_make_spans_in_a_sampled_trace_only(
    sampler: tuple[CountingSampler, InMemorySpanExporter], infra: Infra, redis_traced: None
) -> None:
    counting, exporter = sampler
    client = Redis.from_url(infra.redis_url)
    key = f"t-{secrets.token_hex(4)}"
    try:
        with trace.use_span(unsampled_span()):
            await client.set(key, "secret-value")
        assert counting.asked == []
        with tracing.tracer().start_as_current_span("POST /v1/purchases", kind=SpanKind.SERVER):
            assert await client.get(key) == b"secret-value"
            async with client.pipeline() as pipe:
                pipe.set(key + "n", 1)
                pipe.expire(key + "n", 10)
                await pipe.execute()
    finally:
        await client.delete(key, key + "n")
        await client.aclose()
    spans = {s.name: s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT}
    assert set(spans) == {"GET", "MULTI"}
    attributes = spans["GET"].attributes or {}
    # The command is named, never its keys or values.
    assert attributes["db.statement"] == "GET" and "secret" not in str(attributes)
    assert (spans["MULTI"].attributes or {})["db.statement"] == "SET\nEXPIRE"


@pytest.fixture
async def sessions(sqlite_url: str) -> AsyncIterator[SessionFactory]:
    async with tables_in(sqlite_url, metadata) as factory:
        yield factory


async def test_an_unsampled_request_s_event_carries_its_decision_without_a_span(
    sampler: tuple[CountingSampler, InMemorySpanExporter],
    sessions: SessionFactory,
    bus: EventBus,
) -> None:
    counting, exporter = sampler
    request = unsampled_span()
    event = MemberRegistered(customer_id="c-1", payload=MemberRegisteredPayload(email="a@b.x"))
    with trace.use_span(request):
        async with unit_of_work(sessions) as session:
            await outbox.add(session, event)
    assert await OutboxRelay(outbox.table, sessions, bus).relay_once() == 1
    seen: list[SpanContext] = []

    async def handler(_: Event) -> None:
        seen.append(trace.get_current_span().get_span_context())

    stop = asyncio.Event()
    task = asyncio.create_task(consume(bus, Subscription("t", MemberRegistered, handler), stop))
    await wait_for(lambda: seen, "the event")
    stop.set()
    await task

    # The handler runs in the request's trace, unsampled: what it calls is not sampled either.
    [handled] = seen
    assert handled.trace_id == request.get_span_context().trace_id
    assert not handled.trace_flags.sampled
    assert counting.asked == [] and exporter.get_finished_spans() == ()


def test_the_relay_reads_the_context_an_event_carries_without_decoding_it() -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    event = MemberRegistered(
        customer_id="c-1",
        payload=MemberRegisteredPayload(email="a@b.x"),
        traceparent=traceparent,
        tracestate="vendor=x",
    )
    carrier = tracing.carrier_of_envelope(event.encode())
    assert carrier == {"traceparent": traceparent, "tracestate": "vendor=x"}
    assert tracing.sampled(carrier)
    assert not tracing.sampled({"traceparent": traceparent[:-2] + "00"})
