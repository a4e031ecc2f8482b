"""Transactional outbox: events are stored with the write that caused them, then relayed."""

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from kit.bus import EventBus
from kit.clock import utcnow
from kit.db import SessionFactory, UtcDateTime, unit_of_work
from kit.events import Event
from kit.tracing import carrier_of_envelope, current_carrier, publish_span, tracing_on

log = logging.getLogger(__name__)

# Set only by the crash test: the relay dies after publishing, before marking rows published.
CRASH_AFTER_PUBLISH_ENV = "KIT_OUTBOX_CRASH_AFTER_PUBLISH"

_ID = BigInteger().with_variant(Integer, "sqlite")

# On PostgreSQL a trigger on the outbox wakes the relay at commit (``wakeup_trigger_ddl``), so
# an idle relay does not poll; this is how often it still looks, in case a wakeup was missed.
WAKEUP_CHANNEL = "outbox_written"
IDLE_CHECK_SECONDS = 5.0
LISTENER_NAME = "outbox-relay"


def wakeup_trigger_ddl(table: str = "outbox") -> tuple[str, ...]:
    """PostgreSQL: notify the relay once per inserting statement (delivered at commit)."""
    return (
        f"""CREATE OR REPLACE FUNCTION {table}_wakeup() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('{WAKEUP_CHANNEL}', ''); RETURN NULL; END $$""",
        f"DROP TRIGGER IF EXISTS {table}_wakeup ON {table}",
        f"""CREATE TRIGGER {table}_wakeup AFTER INSERT ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION {table}_wakeup()""",
    )


def drop_wakeup_trigger_ddl(table: str = "outbox") -> tuple[str, ...]:
    return (f"DROP TRIGGER IF EXISTS {table}_wakeup ON {table}", f"DROP FUNCTION {table}_wakeup()")


# Pruning (kit.retention) finds old rows by these, not by a scan of the whole table; each
# service's migration adds them to an existing database (kit.migrations.add_pruning_indexes).
_PUBLISHED = text("published_at IS NOT NULL")
PRUNING_INDEXES = {
    "outbox": "ix_outbox_published_at",
    "processed_events": "ix_processed_events_processed_at",
}


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("seq", _ID, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("subject", String(200), nullable=False),
        Column("data", LargeBinary, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("published_at", UtcDateTime(), nullable=True),
        Index("ix_outbox_unpublished", "seq", postgresql_where="published_at IS NULL"),
        Index(
            PRUNING_INDEXES["outbox"],
            "published_at",
            postgresql_where=_PUBLISHED,
            sqlite_where=_PUBLISHED,
        ),
    )


def processed_events_table(metadata: MetaData) -> Table:
    return Table(
        "processed_events",
        metadata,
        Column("consumer", String(200), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", UtcDateTime(), nullable=False),
        Index(PRUNING_INDEXES["processed_events"], "processed_at"),
    )


class Outbox:
    """What a service's code calls to emit an event inside its current transaction."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.insert = table.insert()  # built once: executions reuse its compiled form

    async def add(self, session: AsyncSession, event: Event) -> None:
        await session.execute(self.insert, self.row(event))

    def row(self, event: Event) -> dict[str, Any]:
        """The row ``add`` writes, for a statement that writes it with others."""
        return outbox_row(event, utcnow(), current_carrier())

    async def add_all(self, session: AsyncSession, events: Iterable[Event]) -> None:
        """Many events in one executemany: what a batch job emits, without a round trip each."""
        now, carrier = utcnow(), current_carrier()
        rows = [outbox_row(event, now, carrier) for event in events]
        if rows:
            await session.execute(self.insert, rows)


def outbox_row(
    event: Event, now: datetime, carrier: dict[str, str] | None = None
) -> dict[str, Any]:
    """An event as the outbox stores it, with the trace context of the write that caused it."""
    if carrier:
        event = event.model_copy(update=carrier)
    return {
        "event_id": str(event.id),
        "subject": event.subject(),
        "data": event.encode(),
        "created_at": now,
    }


class OutboxRelay:
    """Publishes unpublished rows in order, then marks them; safe to run as several replicas."""

    def __init__(
        self, table: Table, sessions: SessionFactory, bus: EventBus, batch: int = 200
    ) -> None:
        self.table = table
        self.sessions = sessions
        self.bus = bus
        self.batch = batch
        self.crash_after_publish = os.environ.get(CRASH_AFTER_PUBLISH_ENV) == "1"

    async def relay_once(self) -> int:
        async with unit_of_work(self.sessions) as session:
            rows = (await session.execute(self._pending())).all()
            for row in rows:
                await self._publish(row)
            if rows and self.crash_after_publish:
                log.error("crashing after publish, before marking (crash test)")
                os._exit(70)
            if rows:
                await session.execute(
                    update(self.table)
                    .where(self.table.c.seq.in_([row.seq for row in rows]))
                    .values(published_at=utcnow())
                )
        return len(rows)

    async def _publish(self, row: Any) -> None:
        carrier = carrier_of_envelope(row.data) if tracing_on() else {}
        if not carrier:
            await self.bus.publish_raw(row.subject, row.data, row.event_id)
            return
        with publish_span(self.bus.full_subject(row.subject), carrier) as headers:
            await self.bus.publish_raw(row.subject, row.data, row.event_id, headers)

    def _pending(self) -> Any:
        c = self.table.c
        query = select(c.seq, c.event_id, c.subject, c.data).where(c.published_at.is_(None))
        return query.order_by(c.seq).limit(self.batch).with_for_update(skip_locked=True)

    async def run(
        self,
        stop: asyncio.Event,
        poll_seconds: float = 0.05,
        idle_check_seconds: float = IDLE_CHECK_SECONDS,
        linger_seconds: float = 0.0,
    ) -> None:
        """Relays until ``stop``; idle, it waits for a wakeup (PostgreSQL) or polls. After a
        batch that was not full it lingers ``linger_seconds``, so that a steady stream of
        commits is relayed in batches; the first row after a quiet spell goes at once."""
        wakeups = _Wakeups(self.sessions)
        try:
            while not stop.is_set():
                wakeups.clear()
                try:
                    published = await self.relay_once()
                except Exception:
                    log.exception("outbox relay failed; retrying")
                    published = 0
                    await asyncio.sleep(1)
                if published == 0:
                    listening = await wakeups.listening()
                    await wakeups.wait(stop, idle_check_seconds if listening else poll_seconds)
                elif published < self.batch and linger_seconds:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), linger_seconds)
        finally:
            await wakeups.close()


class _Wakeups:
    """A LISTEN connection on PostgreSQL, reopened when lost; nothing on SQLite."""

    def __init__(self, sessions: SessionFactory) -> None:
        engine = sessions.kw.get("bind")
        # The engine's own connection arguments (host, credentials, TLS), for a connection
        # of its own outside the pool: it is held for as long as the relay runs.
        self.connect_args: dict[str, Any] | None = None
        if engine is not None and engine.dialect.name == "postgresql":
            _, self.connect_args = engine.dialect.create_connect_args(engine.url)
        self.conn: asyncpg.Connection | None = None
        self.woken = asyncio.Event()
        self.retry_at = 0.0

    def clear(self) -> None:
        self.woken.clear()

    async def listening(self) -> bool:
        if self.connect_args is None:
            return False
        if self.conn is not None and not self.conn.is_closed():
            return True
        now = asyncio.get_running_loop().time()
        if now < self.retry_at:
            return False
        try:
            self.conn = await asyncpg.connect(
                **self.connect_args,
                timeout=5,
                server_settings={"application_name": LISTENER_NAME},
            )
            await self.conn.add_listener(WAKEUP_CHANNEL, self._notified)
            # A lost connection wakes the relay too, which then reconnects.
            self.conn.add_termination_listener(self._notified)
        except (OSError, TimeoutError, asyncpg.PostgresError):
            log.warning("outbox relay cannot listen for wakeups; polling meanwhile")
            self.retry_at = now + IDLE_CHECK_SECONDS
            await self.close()
            return False
        # Rows committed before LISTEN took effect woke nobody: look once more.
        self.woken.set()
        return True

    def _notified(self, *_args: Any) -> None:
        self.woken.set()

    async def wait(self, stop: asyncio.Event, seconds: float) -> None:
        stopped = asyncio.ensure_future(stop.wait())
        woken = asyncio.ensure_future(self.woken.wait())
        try:
            await asyncio.wait((stopped, woken), timeout=seconds, return_when="FIRST_COMPLETED")
        finally:
            stopped.cancel()
            woken.cancel()

    async def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(OSError, TimeoutError, asyncpg.PostgresError):
                await self.conn.close(timeout=2)
            self.conn = None
