"""Consumers in batches: a burst is applied in few transactions, every event exactly once, and
a batch that fails falls back to one event at a time with today's retries and dead letters."""

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.bus import EventBus, Subscription, consume
from kit.consumers import idempotent, idempotent_batch
from kit.contracts import MemberRegistered
from kit.db import SessionFactory, unit_of_work
from kit.errors import Conflict
from kit.events import Event
from kit.outbox import processed_events_table
from kit.testing import tables_in, wait_for

from .test_bus import registered

metadata = MetaData()
processed = processed_events_table(metadata)
# No unique key: an event applied twice shows as two rows rather than as an error.
applied = Table(
    "applied",
    metadata,
    Column("n", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
)
BURST = 40
# Long enough for the test to publish several events one by one on a busy machine.
LINGER_SECONDS = 3.0


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    async with tables_in(database_url, metadata) as factory:
        yield factory


class Recorder:
    """A consumer's handler in both forms: each applied event is a row of ``applied``."""

    def __init__(self, sessions: SessionFactory, refuse: str = "", outages: int = 0) -> None:
        self.sessions = sessions
        self.refuse = refuse  # the customer whose events are refused (poison)
        self.outages = outages  # calls that fail as if the database were down, after writing
        self.batches: list[list[str]] = []  # the customers of each batch

    async def apply(self, session: AsyncSession, events: Sequence[Event]) -> None:
        rows = [{"event_id": str(event.id)} for event in events]
        await session.execute(applied.insert(), rows)
        if self.outages > 0:
            self.outages -= 1
            raise ConnectionResetError("the database went away")
        if any(event.customer_id == self.refuse for event in events):
            raise Conflict("the customer's region is not served")

    async def apply_batch(self, session: AsyncSession, events: Sequence[Event]) -> None:
        self.batches.append([event.customer_id or "" for event in events])
        await self.apply(session, events)

    async def apply_one(self, session: AsyncSession, event: Event) -> None:
        await self.apply(session, [event])

    def subscription(self) -> Subscription:
        one = idempotent(self.sessions, processed, "test", self.apply_one)
        batch = idempotent_batch(self.sessions, processed, "test", self.apply_batch)
        return Subscription("test", MemberRegistered, one, batch_handler=batch)

    async def counts(self) -> Counter[str]:
        async with unit_of_work(self.sessions) as session:
            ids = (await session.scalars(select(applied.c.event_id))).all()
        return Counter(ids)

    async def transactions(self) -> int:
        """Transactions that recorded events: each batch stamps its events with one time."""
        async with unit_of_work(self.sessions) as session:
            stamps = select(func.count(func.distinct(processed.c.processed_at)))
            return int((await session.execute(stamps)).scalar_one())


@contextlib.asynccontextmanager
async def consuming(
    bus: EventBus, sub: Subscription, linger_seconds: float = 0.0
) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(consume(bus, sub, stop, 16, linger_seconds))
    try:
        yield
    finally:
        stop.set()
        await task


async def publish_again(bus: EventBus, event: Event) -> None:
    """The same event as a new message, as after an ack lost past the de-duplication window."""
    await bus.publish_raw(event.subject(), event.encode(), str(uuid.uuid4()))


async def dead_letters(bus: EventBus) -> int:
    return int((await bus.js.stream_info(bus.stream_name("deadletter"))).state.messages)


async def applied_once(recorder: Recorder, events: Sequence[Event]) -> bool:
    counts = await recorder.counts()
    return all(counts[str(event.id)] >= 1 for event in events)


async def test_a_burst_is_applied_in_fewer_transactions_than_events(
    bus: EventBus, sessions: SessionFactory
) -> None:
    recorder = Recorder(sessions)
    events = [registered(f"burst-{i}") for i in range(BURST)]
    for event in events:
        await bus.publish(event)
    async with consuming(bus, recorder.subscription()):
        await wait_for(lambda: applied_once(recorder, events), "the burst", timeout=60)
    counts = await recorder.counts()
    assert counts == Counter({str(event.id): 1 for event in events})
    # The first event wakes the idle consumer, then fetches of at most 16: four transactions.
    assert await recorder.transactions() <= BURST // 4
    assert max(map(len, recorder.batches)) == 16


async def test_a_steady_stream_is_gathered_into_batches_while_a_lone_event_goes_at_once(
    bus: EventBus, sessions: SessionFactory
) -> None:
    # Events one at a time, each published after the one before was taken: without a linger
    # the busy consumer fetches each as it comes, and every one is a transaction of its own.
    recorder = Recorder(sessions)
    events = [registered(f"steady-{i}") for i in range(6)]
    async with consuming(bus, recorder.subscription(), linger_seconds=LINGER_SECONDS):
        await bus.publish(events[0])
        # The lone event wakes the idle consumer and is applied without waiting for company.
        await wait_for(lambda: applied_once(recorder, events[:1]), "the lone event", timeout=60)
        for event in events[1:]:
            await bus.publish(event)
        await wait_for(lambda: applied_once(recorder, events), "the stream", timeout=60)
    assert await recorder.counts() == Counter({str(e.id): 1 for e in events})
    # The rest came while the consumer lingered after the first: one batch, one transaction.
    assert recorder.batches == [[event.customer_id for event in events[1:]]]
    assert await recorder.transactions() == 2


async def test_a_redelivered_event_inside_a_batch_is_applied_once(
    bus: EventBus, sessions: SessionFactory
) -> None:
    recorder = Recorder(sessions)
    first = registered("first")
    await bus.publish(first)
    async with consuming(bus, recorder.subscription()):
        await wait_for(lambda: applied_once(recorder, [first]), "the first event")
    later = [registered(f"later-{i}") for i in range(6)]
    await publish_again(bus, first)  # applied before: skipped
    for event in later:
        await bus.publish(event)
    await publish_again(bus, later[2])  # twice in the same batch: applied once
    async with consuming(bus, recorder.subscription()):
        await wait_for(lambda: applied_once(recorder, later), "the later events", timeout=60)
    assert await recorder.counts() == Counter({str(e.id): 1 for e in [first, *later]})
    assert recorder.batches[-1] == [event.customer_id for event in later]


async def test_a_poison_message_in_a_batch_is_dead_lettered_and_the_rest_applied_once(
    bus: EventBus, sessions: SessionFactory
) -> None:
    recorder = Recorder(sessions, refuse="poison")
    events = [registered(f"fine-{i}") for i in range(5)]
    poison = registered("poison")
    for event in [*events[:2], poison, *events[2:]]:
        await bus.publish(event)
    async with consuming(bus, recorder.subscription()):
        await wait_for(lambda: dead_letters(bus), "the dead letter", timeout=60)
        await wait_for(lambda: applied_once(recorder, events), "the other events", timeout=60)
    assert await recorder.counts() == Counter({str(e.id): 1 for e in events})
    stream = bus.stream_name("deadletter")
    letter = await bus.js.get_last_msg(stream, f"{bus.prefix}deadletter.>")
    headers = letter.headers or {}
    assert headers["Reason"] == "poison: Conflict: the customer's region is not served"
    assert letter.data == poison.encode()
    assert await dead_letters(bus) == 1
    assert any("poison" in batch and len(batch) > 1 for batch in recorder.batches)


async def test_a_transient_failure_of_a_batch_is_retried_and_each_event_applied_once(
    bus: EventBus, sessions: SessionFactory
) -> None:
    # The first event alone (it wakes the idle consumer), the batch of the others, then the
    # first of them alone: each finds the database gone.
    recorder = Recorder(sessions, outages=3)
    events = [registered(f"retry-{i}") for i in range(8)]
    for event in events:
        await bus.publish(event)
    async with consuming(bus, recorder.subscription()):
        await wait_for(lambda: applied_once(recorder, events), "every event", timeout=90)
    assert await recorder.counts() == Counter({str(e.id): 1 for e in events})
    assert await dead_letters(bus) == 0
    assert recorder.outages == 0 and recorder.batches  # a batch was tried, and fell back


async def test_an_undecodable_message_in_a_batch_is_dead_lettered_and_the_rest_applied(
    bus: EventBus, sessions: SessionFactory
) -> None:
    recorder = Recorder(sessions)
    events = [registered(f"around-{i}") for i in range(4)]
    await bus.publish(events[0])
    await bus.publish_raw(MemberRegistered.subject(), b"{not json", str(uuid.uuid4()))
    for event in events[1:]:
        await bus.publish(event)
    async with consuming(bus, recorder.subscription()):
        await wait_for(lambda: dead_letters(bus), "the dead letter", timeout=60)
        await wait_for(lambda: applied_once(recorder, events), "the other events", timeout=60)
    assert await recorder.counts() == Counter({str(e.id): 1 for e in events})
    assert await dead_letters(bus) == 1
