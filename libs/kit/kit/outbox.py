"""Transactional outbox: events are stored with the write that caused them, then relayed."""

import asyncio
import contextlib
import logging
import os
from typing import Any

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
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from kit.bus import EventBus
from kit.clock import utcnow
from kit.db import SessionFactory, UtcDateTime, unit_of_work
from kit.events import Event

log = logging.getLogger(__name__)

# Set only by the crash test: the relay dies after publishing, before marking rows published.
CRASH_AFTER_PUBLISH_ENV = "KIT_OUTBOX_CRASH_AFTER_PUBLISH"

_ID = BigInteger().with_variant(Integer, "sqlite")


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
    )


def processed_events_table(metadata: MetaData) -> Table:
    return Table(
        "processed_events",
        metadata,
        Column("consumer", String(200), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", UtcDateTime(), nullable=False),
    )


class Outbox:
    """What a service's code calls to emit an event inside its current transaction."""

    def __init__(self, table: Table) -> None:
        self.table = table

    async def add(self, session: AsyncSession, event: Event) -> None:
        await session.execute(
            self.table.insert().values(
                event_id=str(event.id),
                subject=event.subject(),
                data=event.encode(),
                created_at=utcnow(),
            )
        )


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
                await self.bus.publish_raw(row.subject, row.data, row.event_id)
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

    def _pending(self) -> Any:
        c = self.table.c
        query = select(c.seq, c.event_id, c.subject, c.data).where(c.published_at.is_(None))
        return query.order_by(c.seq).limit(self.batch).with_for_update(skip_locked=True)

    async def run(self, stop: asyncio.Event, poll_seconds: float = 0.05) -> None:
        while not stop.is_set():
            try:
                published = await self.relay_once()
            except Exception:
                log.exception("outbox relay failed; retrying")
                published = 0
                await asyncio.sleep(1)
            if published == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), poll_seconds)
