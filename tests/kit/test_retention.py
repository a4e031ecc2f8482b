"""Pruning: old rows that only guard against repeats go, recent ones and pending events stay."""

from datetime import timedelta

from sqlalchemy import MetaData, select

from kit.clock import utcnow
from kit.db import SessionFactory, unit_of_work
from kit.outbox import outbox_table, processed_events_table
from kit.retention import prune, prune_all, standard_targets
from kit.settings import ServiceSettings
from kit.testing import tables_in

metadata = MetaData()
outbox = outbox_table(metadata)
processed = processed_events_table(metadata)


async def test_old_published_events_and_records_go_recent_and_pending_ones_stay(
    database_url: str,
) -> None:
    async with tables_in(database_url, metadata) as sessions:
        await old_and_recent_rows_are_pruned(sessions)


async def old_and_recent_rows_are_pruned(sessions: SessionFactory) -> None:
    now = utcnow()
    old, recent = now - timedelta(days=40), now - timedelta(hours=1)
    rows = [
        ("old-published", old, old),
        ("old-pending", old, None),  # never published: must stay, whatever its age
        ("recent-published", recent, recent),
    ]
    async with unit_of_work(sessions) as session:
        for event_id, created, published in rows:
            await session.execute(
                outbox.insert().values(
                    event_id=event_id,
                    subject="s",
                    data=b"{}",
                    created_at=created,
                    published_at=published,
                )
            )
        for i in range(7):  # more than one batch
            values = {"consumer": "c", "event_id": f"old-{i}", "processed_at": old}
            await session.execute(processed.insert().values(**values))
        await session.execute(
            processed.insert().values(consumer="c", event_id="recent", processed_at=recent)
        )

    targets = standard_targets(outbox, ServiceSettings())
    pruned = {target.table.name: await prune(sessions, target, now, batch=3) for target in targets}

    assert pruned == {"outbox": 1, "processed_events": 7}
    async with unit_of_work(sessions) as session:
        events = set((await session.execute(select(outbox.c.event_id))).scalars())
        records = set((await session.execute(select(processed.c.event_id))).scalars())
    assert events == {"old-pending", "recent-published"}
    assert records == {"recent"}
    assert await prune_all(sessions, targets, now) == {"outbox": 0, "processed_events": 0}
