"""Materialized memberships: desired minus current, applied, with one event per real change.

``sync`` compares what a set of segments should contain with what they contain, for everyone
(a full recompute) or for one customer (after one of their events), and writes the difference:
rows in ``segment_memberships`` and ``segment.entered`` / ``segment.exited`` in the outbox.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Column,
    MetaData,
    Select,
    String,
    Table,
    and_,
    delete,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from kit.contracts.segments import SegmentEntered, SegmentExited, SegmentMembershipPayload
from kit.db import UtcDateTime
from kit.events import Event
from kit.outbox import outbox_row
from segments import repository
from segments.models import Membership, outbox, table_of
from segments.rulesql import Scope, Slice
from segments.slices import Slicer, Unlogged

MEMBERSHIPS = table_of(Membership)
EVENT_BATCH = 5000


@dataclass(frozen=True)
class SegmentRef:
    id: str
    version: int
    name: str


@dataclass(frozen=True)
class Change:
    segment_id: str
    customer_id: str
    entered: bool


@dataclass
class Counts:
    entered: int = 0
    exited: int = 0

    def add(self, other: "Counts") -> None:
        self.entered += other.entered
        self.exited += other.exited


def changes_query(desired: Select[Any], segment_ids: Sequence[str], scope: Scope) -> Select[Any]:
    """Rows of (segment_id, customer_id, entered) where desired and current disagree."""
    d = desired.subquery("d")
    m = MEMBERSHIPS.c
    current_rows = select(m.segment_id, m.customer_id).where(m.segment_id.in_(segment_ids))
    current = scope.narrow(current_rows, m.customer_id).subquery("c")
    same = and_(d.c.segment_id == current.c.segment_id, d.c.customer_id == current.c.customer_id)
    query = (
        select(
            func.coalesce(d.c.segment_id, current.c.segment_id).label("segment_id"),
            func.coalesce(d.c.customer_id, current.c.customer_id).label("customer_id"),
            current.c.customer_id.is_(None).label("entered"),
        )
        .select_from(d.join(current, same, full=True))
        .where(or_(d.c.customer_id.is_(None), current.c.customer_id.is_(None)))
    )
    return cast(Select[Any], query)


def _no_lap(_stage: str) -> None:
    return None


async def sync(
    session: AsyncSession,
    desired: Select[Any],
    segments: Sequence[SegmentRef],
    scope: Scope,
    lap: Callable[[str], None] = _no_lap,
) -> Counts:
    if not segments:
        return Counts()
    query = changes_query(desired, [s.id for s in segments], scope)
    if scope.customers is None:
        return await _sync_in_bulk(session, query, segments, scope.now, lap)
    rows = (await session.execute(query)).all()
    changes = [Change(r.segment_id, r.customer_id, bool(r.entered)) for r in rows]
    await apply(session, changes, scope.now)
    await emit_changes(session, changes, {s.id: s for s in segments}, scope.now)
    return count(changes)


async def apply(session: AsyncSession, changes: Sequence[Change], now: datetime) -> None:
    entered = [
        {"segment_id": c.segment_id, "customer_id": c.customer_id, "entered_at": now}
        for c in changes
        if c.entered
    ]
    exited = [(c.segment_id, c.customer_id) for c in changes if not c.entered]
    if entered:
        await session.execute(insert(MEMBERSHIPS), entered)
    if exited:
        pairs = tuple_(MEMBERSHIPS.c.segment_id, MEMBERSHIPS.c.customer_id)
        await session.execute(delete(MEMBERSHIPS).where(pairs.in_(exited)))


# Per connection, emptied before and after use; not part of the migrated schema.
CHANGES = Table(
    "membership_changes",
    MetaData(),
    Column("segment_id", String(64), nullable=False),
    Column("customer_id", String(36), nullable=False),
    Column("entered", Boolean, nullable=False),
    prefixes=["TEMPORARY"],
)
_CREATE_CHANGES = text(
    "CREATE TEMPORARY TABLE IF NOT EXISTS membership_changes (segment_id VARCHAR(64) NOT NULL,"
    " customer_id VARCHAR(36) NOT NULL, entered BOOLEAN NOT NULL)"
)


async def _sync_in_bulk(
    session: AsyncSession,
    query: Select[Any],
    segments: Sequence[SegmentRef],
    now: datetime,
    lap: Callable[[str], None],
) -> Counts:
    """Set-based: the difference lands in a temporary table, then is applied in two statements."""
    await _into_changes(session, query)
    lap("compare")
    return await apply_changes(session, segments, now, lap)


async def _into_changes(session: AsyncSession, query: Select[Any]) -> None:
    await session.execute(_CREATE_CHANGES)
    await session.execute(delete(CHANGES))
    await session.execute(
        insert(CHANGES).from_select(["segment_id", "customer_id", "entered"], query)
    )


async def write_changes(
    session: AsyncSession, desired: Select[Any], segment_ids: Sequence[str], scope: Scope
) -> None:
    """The differences for ``scope``'s customers: into ``membership_changes`` for
    ``apply_changes``, or for a slice into its own unlogged table (``gather_changes``)."""
    query = changes_query(desired, segment_ids, scope)
    if scope.slice is None:
        await _into_changes(session, query)
        return
    name = Slicer.table_name(CHANGES.name, scope.slice)
    await session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    await session.execute(Unlogged(query, name))


async def gather_changes(session: AsyncSession, slices: Sequence[Slice | None]) -> None:
    """Every slice's differences into this connection's ``membership_changes``."""
    names = [Slicer.table_name(CHANGES.name, part) for part in slices if part is not None]
    if not names:
        return
    await session.execute(_CREATE_CHANGES)
    await session.execute(delete(CHANGES))
    parts = " UNION ALL ".join(f"SELECT segment_id, customer_id, entered FROM {n}" for n in names)
    await session.execute(text(f"INSERT INTO {CHANGES.name} {parts}"))
    for name in names:
        await session.execute(text(f"DROP TABLE {name}"))


async def apply_changes(
    session: AsyncSession,
    segments: Sequence[SegmentRef],
    now: datetime,
    lap: Callable[[str], None] = _no_lap,
) -> Counts:
    """Writes the differences held in ``membership_changes``: rows, then one event each."""
    await repository.plan_for_few_rows(session)
    c = CHANGES.c
    # In key order, so the index of memberships is written page after page.
    entered = (
        select(c.segment_id, c.customer_id, literal(now, UtcDateTime()))
        .where(c.entered)
        .order_by(c.segment_id, c.customer_id)
    )
    await session.execute(
        insert(MEMBERSHIPS).from_select(["segment_id", "customer_id", "entered_at"], entered)
    )
    exited = select(c.segment_id, c.customer_id).where(not_(c.entered))
    pairs = tuple_(MEMBERSHIPS.c.segment_id, MEMBERSHIPS.c.customer_id)
    await session.execute(delete(MEMBERSHIPS).where(pairs.in_(exited)))
    lap("apply")
    if session.get_bind().dialect.name == "postgresql":
        counts = await _emit_in_sql(session, now)
    else:
        rows = (await session.execute(select(c.segment_id, c.customer_id, c.entered))).all()
        changes = [Change(r.segment_id, r.customer_id, bool(r.entered)) for r in rows]
        await emit_changes(session, changes, {s.id: s for s in segments}, now)
        counts = count(changes)
    await session.execute(delete(CHANGES))
    lap("events")
    return counts


# A version 7 UUID: 48 bits of Unix milliseconds, then random bits. Ids written together then
# sit side by side in the outbox's unique index instead of on random pages all over it.
TIME_ORDERED_UUID = """CAST(overlay(overlay(replace(gen_random_uuid()::text, '-', '')
    PLACING lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
    FROM 1 FOR 12) PLACING '7' FROM 13 FOR 1) AS uuid)"""

# The same envelope ``Event.encode`` writes, built by PostgreSQL: a first materialization of a
# segment over a million customers then costs one statement instead of a million Python objects.
_EVENTS_IN_SQL = text(
    """
    INSERT INTO outbox (event_id, subject, data, created_at)
    SELECT e.id::text,
           CASE WHEN e.entered THEN CAST(:entered_subject AS text)
                ELSE CAST(:exited_subject AS text) END,
           convert_to(json_build_object(
               'id', e.id,
               'type', CASE WHEN e.entered THEN CAST(:entered_type AS text)
                            ELSE CAST(:exited_type AS text) END,
               'version', 1,
               'occurred_at', CAST(:occurred_at AS text),
               'customer_id', e.customer_id,
               'payload', json_build_object(
                   'segment_id', e.segment_id,
                   'segment_version', s.version,
                   'segment_name', s.name
               )
           )::text, 'UTF8'),
           :now
    FROM (SELECT {TIME_ORDERED_UUID} AS id, * FROM membership_changes) AS e
    JOIN segments AS s ON s.id = e.segment_id
    """.replace("{TIME_ORDERED_UUID}", TIME_ORDERED_UUID)
)


async def _emit_in_sql(session: AsyncSession, now: datetime) -> Counts:
    await session.execute(
        _EVENTS_IN_SQL,
        {
            "entered_subject": SegmentEntered.subject(),
            "exited_subject": SegmentExited.subject(),
            "entered_type": "segment.entered",
            "exited_type": "segment.exited",
            "occurred_at": now.isoformat(),
            "now": now,
        },
    )
    c = CHANGES.c
    totals = await session.execute(select(c.entered, func.count()).group_by(c.entered))
    by_kind = {bool(entered): int(n) for entered, n in totals.all()}
    return Counts(entered=by_kind.get(True, 0), exited=by_kind.get(False, 0))


def membership_event(segment: SegmentRef, customer_id: str, entered: bool, now: datetime) -> Event:
    payload = SegmentMembershipPayload(
        segment_id=segment.id, segment_version=segment.version, segment_name=segment.name
    )
    kind = SegmentEntered if entered else SegmentExited
    return kind(customer_id=customer_id, occurred_at=now, payload=payload)


async def emit_changes(
    session: AsyncSession,
    changes: Iterable[Change],
    segments: dict[str, SegmentRef],
    now: datetime,
) -> None:
    await insert_outbox_rows(session, change_rows(changes, segments, now))


def change_rows(
    changes: Iterable[Change], segments: dict[str, SegmentRef], now: datetime
) -> list[dict[str, Any]]:
    """The outbox rows of the changes' events."""
    return [
        outbox_row(membership_event(segments[c.segment_id], c.customer_id, c.entered, now), now)
        for c in changes
    ]


async def insert_outbox_rows(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), EVENT_BATCH):
        await session.execute(insert(outbox.table), rows[start : start + EVENT_BATCH])


def count(changes: Sequence[Change]) -> Counts:
    entered = sum(1 for c in changes if c.entered)
    return Counts(entered=entered, exited=len(changes) - entered)
