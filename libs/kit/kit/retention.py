"""Pruning: what only guards against repeats is deleted once no repeat can come any more.

Each service's worker prunes, in batches of their own transactions, its outbox rows once
published, its processed-event records and its idempotency records, each after a retention
period of its own (``ServiceSettings``); rows still needed (an unpublished event) never go.
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, delete, select, tuple_

from kit.clock import utcnow
from kit.db import SessionFactory, unit_of_work
from kit.settings import ServiceSettings

log = logging.getLogger(__name__)
BATCH = 5_000


@dataclass(frozen=True)
class Target:
    """Rows of ``table`` whose ``column`` is older than ``keep``, and ``also`` holds, go."""

    table: Table
    column: str
    keep: timedelta
    also: tuple[ColumnElement[bool], ...] = ()

    def due(self, now: datetime) -> tuple[ColumnElement[bool], ...]:
        return (self.table.c[self.column] < now - self.keep, *self.also)

    def due_keys(self, now: datetime, batch: int) -> Select[Any]:
        """The keys of one batch of due rows: found by the index on ``column``."""
        return select(*self.table.primary_key.columns).where(*self.due(now)).limit(batch)


def standard_targets(outbox: Table, settings: ServiceSettings) -> list[Target]:
    """The kit's own tables of a service: its outbox (published rows only), processed events."""
    targets = [
        Target(
            outbox,
            "published_at",
            timedelta(days=settings.outbox_retention_days),
            (outbox.c.published_at.is_not(None),),
        )
    ]
    processed = outbox.metadata.tables.get("processed_events")
    if processed is not None:
        days = settings.processed_events_retention_days
        targets.append(Target(processed, "processed_at", timedelta(days=days)))
    return targets


async def prune(
    sessions: SessionFactory, target: Target, now: datetime | None = None, batch: int = BATCH
) -> int:
    """Deletes every due row of ``target``, ``batch`` per transaction; how many went."""
    at = now or utcnow()
    key = tuple_(*target.table.primary_key.columns)
    total = 0
    while True:
        due = target.due_keys(at, batch)
        async with unit_of_work(sessions) as session:
            result = await session.execute(delete(target.table).where(key.in_(due)))
        deleted = int(result.rowcount)  # type: ignore[attr-defined]
        total += deleted
        if deleted < batch:
            return total


async def prune_all(
    sessions: SessionFactory, targets: Sequence[Target], now: datetime | None = None
) -> dict[str, int]:
    return {target.table.name: await prune(sessions, target, now) for target in targets}


async def prune_periodically(
    sessions: SessionFactory, targets: Sequence[Target], every: float, stop: asyncio.Event
) -> None:
    """The worker's loop: prunes at start, then every ``every`` seconds, until ``stop``."""
    while not stop.is_set():
        try:
            pruned = await prune_all(sessions, targets)
            if any(pruned.values()):
                log.info("pruned old rows: %s", pruned)
        except Exception:
            log.exception("pruning failed; retrying at the next interval")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
