"""The trace context through the outbox and JetStream, and the ids in log lines."""

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from kit import tracing
from kit.bus import EventBus, Subscription, consume
from kit.contracts import MemberRegistered, MemberRegisteredPayload
from kit.db import SessionFactory, new_metadata, unit_of_work
from kit.events import Event
from kit.logs import JsonFormatter
from kit.outbox import Outbox, OutboxRelay, outbox_table
from kit.testing import tables_in, wait_for

metadata = new_metadata()
outbox = Outbox(outbox_table(metadata))
REGISTERED = MemberRegistered(customer_id="c-1", payload=MemberRegisteredPayload(email="a@b.x"))


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """Tracing on for kit's own spans, kept in memory; the global provider is left alone."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "_provider", provider)
    yield exporter
    provider.shutdown()


@pytest.fixture
async def sessions(sqlite_url: str) -> AsyncIterator[SessionFactory]:
    async with tables_in(sqlite_url, metadata) as factory:
        yield factory


def named(exported: tuple[ReadableSpan, ...], prefix: str) -> ReadableSpan:
    return next(span for span in exported if span.name.startswith(prefix))


async def test_a_consumer_continues_the_trace_of_the_request_that_wrote_the_event(
    spans: InMemorySpanExporter, sessions: SessionFactory, bus: EventBus
) -> None:
    with tracing.tracer().start_as_current_span("POST /members", kind=SpanKind.SERVER):
        async with unit_of_work(sessions) as session:
            await outbox.add(session, REGISTERED)
    assert await OutboxRelay(outbox.table, sessions, bus).relay_once() == 1
    seen: list[Event] = []

    async def handler(event: Event) -> None:
        seen.append(event)

    stop = asyncio.Event()
    task = asyncio.create_task(consume(bus, Subscription("t", MemberRegistered, handler), stop))
    await wait_for(lambda: seen, "the event")
    stop.set()
    await task

    exported = spans.get_finished_spans()
    request, publish = named(exported, "POST"), named(exported, "publish")
    process = named(exported, "process")
    assert publish.kind is SpanKind.PRODUCER and process.kind is SpanKind.CONSUMER
    assert publish.parent is not None and process.parent is not None
    assert request.context is not None and publish.context is not None
    assert publish.parent.span_id == request.context.span_id
    assert process.parent.span_id == publish.context.span_id
    assert process.context is not None
    assert process.context.trace_id == request.context.trace_id


async def test_an_event_written_with_tracing_off_leaves_as_it_always_did(
    sessions: SessionFactory,
) -> None:
    event = REGISTERED
    async with unit_of_work(sessions) as session:
        await outbox.add(session, event)
        data = (await session.execute(outbox.table.select())).one().data
    assert data == event.encode()
    assert "traceparent" not in json.loads(data)


def test_a_log_line_names_the_active_trace_and_span() -> None:
    provider = TracerProvider()
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "confirmed", None, None)
    with provider.get_tracer("t").start_as_current_span("request") as span:
        line = json.loads(JsonFormatter("loyalty").format(record))
    context = span.get_span_context()
    assert line["trace_id"] == f"{context.trace_id:032x}"
    assert line["span_id"] == f"{context.span_id:016x}"
    assert "trace_id" not in json.loads(JsonFormatter("loyalty").format(record))


def test_the_tree_puts_each_span_under_its_parent() -> None:
    def span(span_id: str, parent: str | None, name: str, start: int) -> dict[str, object]:
        return {
            "trace_id": "t",
            "span_id": span_id,
            "parent_id": parent,
            "name": name,
            "kind": "SERVER",
            "service": "s",
            "start_ns": start,
            "end_ns": start + 2_000_000,
            "status": "UNSET",
            "attributes": {},
            "links": [],
        }

    lines = tracing.render_tree(
        [span("b", "a", "child", 2), span("a", None, "root", 1), span("c", "a", "later", 3)]
    )
    assert [line.split(" [")[0] for line in lines] == ["s: root", "  s: child", "  s: later"]


async def test_each_event_of_a_batch_is_handled_in_its_own_trace(
    spans: InMemorySpanExporter, sessions: SessionFactory, bus: EventBus
) -> None:
    events = [REGISTERED.model_copy(update={"id": uuid.uuid4()}) for _ in range(3)]
    for n, event in enumerate(events):
        with tracing.tracer().start_as_current_span(f"POST /members {n}", kind=SpanKind.SERVER):
            async with unit_of_work(sessions) as session:
                await outbox.add(session, event)
    assert await OutboxRelay(outbox.table, sessions, bus).relay_once() == len(events)
    batches: list[int] = []

    async def batch(handled: Sequence[Event]) -> None:
        batches.append(len(handled))
        for event in handled:
            with (
                tracing.event_context(str(event.id)),
                tracing.client_span(f"signal {event.id}", {}),
            ):
                pass

    async def one(event: Event) -> None:
        await batch([event])

    sub = Subscription("t", MemberRegistered, one, batch_handler=batch)
    stop = asyncio.Event()
    task = asyncio.create_task(consume(bus, sub, stop))
    await wait_for(lambda: sum(batches) == len(events), "the events")
    stop.set()
    await task

    exported = spans.get_finished_spans()
    assert batches == [1, len(events) - 1]  # the first wakes the idle consumer
    by_id = {span.context.span_id: span for span in exported if span.context}
    for n, event in enumerate(events):
        signal = named(exported, f"signal {event.id}")
        assert signal.parent is not None
        process = by_id[signal.parent.span_id]
        assert process.kind is SpanKind.CONSUMER and process.parent is not None
        publish = by_id[process.parent.span_id]
        assert publish.parent is not None
        assert by_id[publish.parent.span_id].name == f"POST /members {n}"


class CountingProvider(TracerProvider):
    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        self.asked += 1
        return super().get_tracer(*args, **kwargs)


def test_kit_asks_its_provider_for_a_tracer_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK's get_tracer costs ~30 µs (it resets the warnings filters each time), and a
    # sampled purchase has ~60 spans of kit's own.
    provider = CountingProvider()
    monkeypatch.setattr(tracing, "_provider", provider)
    tracing.tracer().start_span("a").end()
    tracing.tracer().start_span("b").end()
    assert provider.asked == 1
    other = CountingProvider()
    monkeypatch.setattr(tracing, "_provider", other)  # as tests put in their own
    tracing.tracer().start_span("c").end()
    assert other.asked == 1
