import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kit.bus import EventBus, Subscription, consume
from kit.consumers import idempotent
from kit.contracts import MemberRegistered, MemberRegisteredPayload
from kit.db import SessionFactory, new_metadata, unit_of_work
from kit.events import Event
from kit.outbox import (
    LISTENER_NAME,
    Outbox,
    OutboxRelay,
    outbox_table,
    processed_events_table,
    wakeup_trigger_ddl,
)
from kit.testing import tables_in, wait_for

metadata = new_metadata()
outbox = Outbox(outbox_table(metadata))
processed = processed_events_table(metadata)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    async with tables_in(database_url, metadata) as factory:
        yield factory


def registered() -> MemberRegistered:
    return MemberRegistered(customer_id="c-1", payload=MemberRegisteredPayload(email="a@b.example"))


async def pending(sessions: SessionFactory) -> int:
    async with unit_of_work(sessions) as session:
        query = select(func.count()).where(outbox.table.c.published_at.is_(None))
        return int((await session.execute(query)).scalar_one())


async def test_an_event_written_in_a_rolled_back_transaction_never_leaves(
    sessions: SessionFactory, bus: EventBus
) -> None:
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as session:
            await outbox.add(session, registered())
            raise RuntimeError("the write failed")
    assert await OutboxRelay(outbox.table, sessions, bus).relay_once() == 0


async def test_the_relay_publishes_in_order_and_marks_rows(
    sessions: SessionFactory, bus: EventBus
) -> None:
    events = [registered() for _ in range(5)]
    async with unit_of_work(sessions) as session:
        for event in events:
            await outbox.add(session, event)
    relay = OutboxRelay(outbox.table, sessions, bus)
    assert await relay.relay_once() == 5
    assert await relay.relay_once() == 0
    assert await pending(sessions) == 0
    received: list[Event] = []

    async def collect(event: Event) -> None:
        received.append(event)

    stop = asyncio.Event()
    task = asyncio.create_task(consume(bus, Subscription("t", MemberRegistered, collect), stop))
    await wait_for(lambda: len(received) == 5, "five events")
    stop.set()
    await task
    assert [e.id for e in received] == [e.id for e in events]


async def test_an_idempotent_handler_applies_an_event_once(sessions: SessionFactory) -> None:
    applied: list[str] = []

    async def handle(_session: AsyncSession, event: MemberRegistered) -> None:
        applied.append(str(event.id))

    handler = idempotent(sessions, processed, "test-consumer", handle)
    event = registered()
    await handler(event)
    await handler(event)
    await handler(registered())
    assert len(applied) == 2


async def test_a_failing_handler_leaves_no_trace_and_can_be_retried(
    sessions: SessionFactory,
) -> None:
    calls: list[int] = []

    async def flaky(_session: AsyncSession, _event: MemberRegistered) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first attempt fails")

    handler = idempotent(sessions, processed, "test-consumer", flaky)
    event = registered()
    with pytest.raises(RuntimeError):
        await handler(event)
    await handler(event)
    await handler(event)
    assert len(calls) == 2


async def test_an_idle_relay_is_woken_by_the_commit_and_survives_a_lost_listener(
    sessions: SessionFactory, bus: EventBus, database_url: str
) -> None:
    on_postgres = not database_url.startswith("sqlite")
    if on_postgres:
        async with unit_of_work(sessions) as session:
            for statement in wakeup_trigger_ddl():
                await session.execute(text(statement))
    # On PostgreSQL nothing polls within the test: only the wakeup can deliver in time.
    poll_seconds, idle_check_seconds = (600.0, 600.0) if on_postgres else (0.05, 600.0)
    stop = asyncio.Event()
    relay = OutboxRelay(outbox.table, sessions, bus)
    task = asyncio.create_task(relay.run(stop, poll_seconds, idle_check_seconds))
    try:
        for _ in range(2):
            async with unit_of_work(sessions) as session:
                await outbox.add(session, registered())
            await wait_for(lambda: nothing_pending(sessions), "the event relayed")
            if on_postgres:
                await wait_for(lambda: listeners(sessions), "the relay listening")
                async with unit_of_work(sessions) as session:
                    await session.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                            " WHERE application_name = :name AND datname = current_database()"
                        ),
                        {"name": LISTENER_NAME},
                    )
    finally:
        stop.set()
        await task


async def nothing_pending(sessions: SessionFactory) -> bool:
    return await pending(sessions) == 0


async def listeners(sessions: SessionFactory) -> int:
    async with unit_of_work(sessions) as session:
        query = text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = :name AND datname = current_database()"
        )
        return int((await session.execute(query, {"name": LISTENER_NAME})).scalar_one())


async def test_a_steady_stream_of_commits_is_relayed_in_one_batch_after_the_first(
    sessions: SessionFactory, bus: EventBus, database_url: str
) -> None:
    """The first row after a quiet spell goes at once; rows committed while the relay lingers
    after it go together: one read, one publish round, one update."""
    if not database_url.startswith("sqlite"):
        async with unit_of_work(sessions) as session:
            for statement in wakeup_trigger_ddl():
                await session.execute(text(statement))
    stop = asyncio.Event()
    relay = OutboxRelay(outbox.table, sessions, bus)
    task = asyncio.create_task(relay.run(stop, 0.05, 600.0, linger_seconds=LINGER_SECONDS))
    try:
        async with unit_of_work(sessions) as session:
            await outbox.add(session, registered())
        await wait_for(lambda: nothing_pending(sessions), "the first event relayed")
        for _ in range(3):
            async with unit_of_work(sessions) as session:
                await outbox.add(session, registered())
            # Spaced out, so that a relay that does not linger takes each commit on its own.
            await asyncio.sleep(0.3)
        await wait_for(lambda: nothing_pending(sessions), "the later events relayed")
    finally:
        stop.set()
        await task
    async with unit_of_work(sessions) as session:
        c = outbox.table.c
        stamps = (await session.scalars(select(c.published_at).order_by(c.seq))).all()
    assert len(stamps) == 4
    assert stamps[0] != stamps[1] and len(set(stamps[1:])) == 1  # one update marked the three


# Long enough for the test to commit several rows one by one on a busy machine.
LINGER_SECONDS = 5.0
