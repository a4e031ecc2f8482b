"""Consumers under failure: a dependency outage is waited out, only poison is dead-lettered."""

import asyncio
import contextlib
import shutil
import signal
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from nats.js.api import AckPolicy, ConsumerConfig
from sqlalchemy import Column, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.service import RPCError, RPCStatusCode

from kit.bus import EventBus, Subscription, consume
from kit.consumers import idempotent
from kit.contracts import MemberRegistered
from kit.db import SessionFactory, unit_of_work
from kit.errors import Conflict
from kit.events import Event
from kit.failures import Failure, classify
from kit.outbox import processed_events_table
from kit.stack import ProcessGroup, free_port, postgres_proc
from kit.testing import tables_in, wait_for

from .test_bus import registered

metadata = MetaData()
processed = processed_events_table(metadata)
applied = Table("applied", metadata, Column("event_id", String(36), primary_key=True))


class OwnPostgres:
    """A PostgreSQL server of this test's own, so stopping it disturbs no other test."""

    def __init__(self, root: Path) -> None:
        self.group = ProcessGroup(root / "logs")
        self.port = free_port()
        self.data = root / "data"

    def start(self) -> None:
        self.group.start_and_wait(postgres_proc(self.port, self.data))

    def stop(self) -> None:
        self.group.stop("postgres", sig=signal.SIGINT)  # fast shutdown: clients are cut off

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    root = Path(tempfile.mkdtemp(prefix="retention-pg-outage-"))
    server = OwnPostgres(root)
    try:
        server.start()
        yield server
    finally:
        server.group.stop_all()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
async def sessions(own_postgres: OwnPostgres) -> AsyncIterator[SessionFactory]:
    async with tables_in(own_postgres.url, metadata) as factory:
        yield factory


async def record(session: AsyncSession, event: Event) -> None:
    await session.execute(applied.insert().values(event_id=str(event.id)))


async def applied_count(sessions: SessionFactory) -> int:
    async with unit_of_work(sessions) as session:
        return int((await session.execute(select(func.count()).select_from(applied))).scalar_one())


async def dead_letters(bus: EventBus) -> int:
    return int((await bus.js.stream_info(bus.stream_name("deadletter"))).state.messages)


@contextlib.asynccontextmanager
async def consuming(bus: EventBus, sub: Subscription) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(consume(bus, sub, stop))
    try:
        yield
    finally:
        stop.set()
        await task


async def test_a_database_outage_is_waited_out_and_every_event_applied_once(
    bus: EventBus, own_postgres: OwnPostgres, sessions: SessionFactory
) -> None:
    attempts: Counter[str] = Counter()
    handler = idempotent(sessions, processed, "test", record)

    async def counting(event: Event) -> None:
        attempts[str(event.id)] += 1
        await handler(event)

    # Two deliveries is the limit for a failure of unknown kind; the outage outlasts it.
    sub = Subscription("test", MemberRegistered, counting, max_deliver=2, ack_wait_seconds=5)
    before = [registered(f"before-{i}") for i in range(3)]
    during = [registered(f"during-{i}") for i in range(10)]
    async with consuming(bus, sub):
        for event in before:
            await bus.publish(event)
        await wait_for(lambda: applied_count(sessions), "the events before the outage")
        await wait_for(lambda: len(attempts) == 3, "the events before the outage")

        own_postgres.stop()
        for event in during:
            await bus.publish(event)

        async def each_retried_past_the_limit() -> bool:
            tried = all(attempts[str(e.id)] > sub.max_deliver for e in during)
            return tried or await dead_letters(bus) > 0

        await wait_for(each_retried_past_the_limit, "retries during the outage", timeout=90)
        assert await dead_letters(bus) == 0

        own_postgres.start()

        async def all_applied() -> bool:
            return await applied_count(sessions) == len(before) + len(during)

        await wait_for(all_applied, "every event applied after the outage", timeout=90)
    assert await dead_letters(bus) == 0
    await bus.publish(during[0])  # the id is within the de-duplication window: dropped
    assert await applied_count(sessions) == len(before) + len(during)


async def tries_until_dead_lettered(
    bus: EventBus, failure: Exception, name: str
) -> tuple[Event, list[str]]:
    """One event, consumed by a handler that always raises ``failure`` until the event is
    dead-lettered: the event and the id handled at each try."""
    attempts: list[str] = []

    async def fails(event: Event) -> None:
        attempts.append(str(event.id))
        raise failure

    event = registered(name)
    await bus.publish(event)
    async with consuming(bus, Subscription("test", MemberRegistered, fails)):
        await wait_for(lambda: dead_letters(bus), "the dead letter", timeout=120)
    return event, attempts


async def test_a_poison_message_is_dead_lettered_at_once_with_its_reason(bus: EventBus) -> None:
    refusal = Conflict("the customer's region is not served")
    poison, attempts = await tries_until_dead_lettered(bus, refusal, "poison")
    assert attempts == [str(poison.id)]
    stream = bus.stream_name("deadletter")
    letter = await bus.js.get_last_msg(stream, f"{bus.prefix}deadletter.>")
    headers = letter.headers or {}
    assert headers["Reason"] == "poison: Conflict: the customer's region is not served"
    assert headers["Original-Subject"] == bus.full_subject(MemberRegistered.subject())
    assert letter.data == poison.encode()
    assert await dead_letters(bus) == 1


async def test_an_event_whose_deliveries_crashes_used_up_is_still_handled(bus: EventBus) -> None:
    """JetStream must not stop delivering silently after ``max_deliver`` lost deliveries."""
    handled: list[str] = []
    hang = asyncio.Event()

    async def crashes_twice(event: Event) -> None:
        if len(handled) < 2:
            handled.append("crash")
            await hang.wait()  # the worker dies here: no ack, no nak
        handled.append(str(event.id))

    sub = Subscription("test", MemberRegistered, crashes_twice, max_deliver=2, ack_wait_seconds=1)
    event = registered("survivor")
    await bus.publish(event)
    for crashes in (1, 2):
        task = asyncio.create_task(consume(bus, sub, asyncio.Event()))
        await wait_for(lambda n=crashes: len(handled) == n, f"delivery {crashes}")  # type: ignore[misc]
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    async with consuming(bus, sub):
        await wait_for(lambda: str(event.id) in handled, "the third delivery", timeout=30)
    assert await dead_letters(bus) == 0


def test_a_temporal_server_whose_namespace_is_not_loaded_yet_is_waited_for() -> None:
    """Seen after a restart of the Temporal server on a busy machine: without this, every event
    that starts a chain in the first seconds was dead-lettered."""
    not_ready = RPCError("Namespace default is not found.", RPCStatusCode.NOT_FOUND, b"")
    assert classify(not_ready) is Failure.TRANSIENT
    gone = RPCError("workflow not found for ID: chain/welcome/c1", RPCStatusCode.NOT_FOUND, b"")
    assert classify(gone) is Failure.UNKNOWN


def test_failures_are_told_apart() -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError

    assert classify(OperationalError("SELECT 1", {}, ConnectionRefusedError())) is Failure.TRANSIENT
    assert classify(ConnectionRefusedError()) is Failure.TRANSIENT
    assert classify(Conflict("no")) is Failure.POISON
    assert classify(ValueError("bad payload")) is Failure.POISON
    assert classify(IntegrityError("INSERT", {}, Exception())) is Failure.UNKNOWN
    try:
        try:
            raise ConnectionResetError("peer")
        except OSError as exc:
            raise Conflict("wrapped") from exc
    except Conflict as wrapped:
        assert classify(wrapped) is Failure.TRANSIENT


async def test_a_consumer_left_by_an_older_release_loses_its_delivery_limit(bus: EventBus) -> None:
    async def handler(_event: Event) -> None:
        return None

    sub = Subscription("test", MemberRegistered, handler)
    stream = bus.stream_name(MemberRegistered.source)
    subject = bus.full_subject(MemberRegistered.subject())
    old = ConsumerConfig(
        durable_name=sub.durable, ack_policy=AckPolicy.EXPLICIT, max_deliver=5, ack_wait=30
    )
    await bus.js.add_consumer(stream, old, filter_subject=subject)
    async with consuming(bus, sub):
        await wait_for(lambda: bus.js.consumer_info(stream, sub.durable), "the consumer")
    assert (await bus.js.consumer_info(stream, sub.durable)).config.max_deliver == -1


async def test_a_bug_is_tried_five_times_by_default_then_dead_lettered(bus: EventBus) -> None:
    """The documented default (docs/operations.md): an unknown failure does not loop forever;
    backoffs of 1, 2, 4 and 8 s between the five deliveries."""
    event, attempts = await tries_until_dead_lettered(bus, RuntimeError("a bug"), "buggy")
    assert attempts == [str(event.id)] * 5
    assert await dead_letters(bus) == 1


def test_a_dependency_that_stays_down_is_retried_at_most_thirty_seconds_apart() -> None:
    sub = Subscription("test", MemberRegistered, record_nothing)
    waits = [sub.backoff(delivered) for delivered in range(1, 10_000)]
    assert waits == sorted(waits) and waits[0] == 1.0
    assert max(waits) == 30.0 and waits[-1] == 30.0


async def record_nothing(_event: Event) -> None:
    return None


async def test_a_deadlock_or_serialization_failure_is_retried_not_dead_lettered(
    postgres_url: str,
) -> None:
    """Two transactions that take the same two rows in opposite orders: PostgreSQL aborts one
    (deadlock_detected). Run again, it passes: the event is retried until it does, never
    dead-lettered after a few tries as a bug would be."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(postgres_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE pair (id int PRIMARY KEY, n int)"))
            await conn.execute(text("INSERT INTO pair VALUES (1, 0), (2, 0)"))
        first_taken = [asyncio.Event(), asyncio.Event()]

        async def take(first: int, second: int, mine: asyncio.Event, theirs: asyncio.Event) -> None:
            async with engine.begin() as conn:
                await conn.execute(text("UPDATE pair SET n = n + 1 WHERE id = :i"), {"i": first})
                mine.set()
                await theirs.wait()
                await conn.execute(text("UPDATE pair SET n = n + 1 WHERE id = :i"), {"i": second})

        outcomes = await asyncio.gather(
            take(1, 2, first_taken[0], first_taken[1]),
            take(2, 1, first_taken[1], first_taken[0]),
            return_exceptions=True,
        )
    finally:
        await engine.dispose()
    [aborted] = [o for o in outcomes if isinstance(o, BaseException)]
    assert "deadlock" in str(aborted).lower()
    assert classify(aborted) is Failure.TRANSIENT
