"""Every query of the segments service that is not a compiled rule."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.cursors import ascending
from kit.db import insert_for, insert_ignoring_conflict
from segments.models import (
    CustomerProfile,
    KnownTimeZone,
    Membership,
    Purchase,
    PurchaseCategory,
    PurchaseReturn,
    Segment,
)

# One key for every writer of memberships: a full recompute takes it alone, the per-customer
# updates share it, so the two never interleave their differences.
MEMBERSHIP_LOCK = 4_202_611


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def lock_memberships(session: AsyncSession, exclusive: bool) -> None:
    """SQLite has one writer at a time already; PostgreSQL needs an advisory lock."""
    if _is_postgres(session):
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        await session.execute(text(f"SELECT {function}(:key)"), {"key": MEMBERSHIP_LOCK})


async def plan_for_everyone(session: AsyncSession, work_memory_mb: int = 256) -> None:
    """Settings for this transaction when it evaluates segments over the whole population.

    Every join then touches most customers, so hashing beats index probes: nested loops and
    plain index scans (random heap reads in customer order) are turned off, bitmap scans stay,
    and sorts and hashes get the memory to stay off disk. The recompute splits its work over
    connections itself (``segments.slices``), so PostgreSQL's own parallel workers would only
    compete with it for the same cores.
    """
    if _is_postgres(session):
        await session.execute(text(f"SET LOCAL work_mem = '{int(work_memory_mb)}MB'"))
        await session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        await session.execute(text("SET LOCAL enable_nestloop = off"))
        await session.execute(text("SET LOCAL enable_indexscan = off"))


async def plan_for_few_rows(session: AsyncSession) -> None:
    """Back to the defaults, for statements that touch only the changed rows."""
    if _is_postgres(session):
        await session.execute(text("SET LOCAL enable_nestloop = on"))
        await session.execute(text("SET LOCAL enable_indexscan = on"))


async def get_profile(session: AsyncSession, customer_id: str) -> CustomerProfile | None:
    return await session.get(CustomerProfile, customer_id)


def add_profile(session: AsyncSession, profile: CustomerProfile) -> None:
    session.add(profile)


async def locked_profile(session: AsyncSession, customer_id: str, now: datetime) -> CustomerProfile:
    """The customer's profile, locked, created empty if this is the first event about them:
    one statement for a customer already known."""
    profile = await _lock_profile(session, customer_id)
    if profile is None:
        stub = {"customer_id": customer_id, "time_zone": "UTC", "subscribed_channels": []}
        await insert_ignoring_conflict(
            session, CustomerProfile.__table__, {**stub, "updated_at": now}
        )
        profile = await _lock_profile(session, customer_id)
    assert profile is not None
    return profile


async def _lock_profile(session: AsyncSession, customer_id: str) -> CustomerProfile | None:
    return await session.get(
        CustomerProfile, customer_id, with_for_update=True, populate_existing=True
    )


async def remember_time_zone(session: AsyncSession, time_zone: str) -> None:
    await insert_ignoring_conflict(session, KnownTimeZone.__table__, {"time_zone": time_zone})


async def known_time_zones(session: AsyncSession) -> list[str]:
    return list((await session.scalars(select(KnownTimeZone.time_zone))).all())


async def insert_purchase(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """The purchase, its net amount less the returns already seen (a return can arrive first);
    that net amount, or None when the purchase was stored before."""
    key = values["purchase_key"]
    net = values["total_amount"] - _refunded(key)
    stmt = insert_for(session)(Purchase).values({**values, "net_amount": net})
    stmt = stmt.on_conflict_do_nothing().returning(Purchase.net_amount)
    stored: int | None = (await session.execute(stmt)).scalar()
    return stored


def _refunded(purchase_key: str) -> Any:
    """Every return of the purchase seen so far, summed, as a scalar subquery."""
    return (
        select(func.coalesce(func.sum(PurchaseReturn.refunded_amount), 0))
        .where(PurchaseReturn.purchase_key == purchase_key)
        .scalar_subquery()
    )


async def insert_categories(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await insert_ignoring_conflict(session, PurchaseCategory.__table__, list(rows))


async def insert_return(session: AsyncSession, values: dict[str, Any]) -> bool:
    return await insert_ignoring_conflict(session, PurchaseReturn.__table__, values)


async def recompute_net_amount(session: AsyncSession, purchase_key: str) -> None:
    """Net = total minus every return seen so far, whatever order they arrived in."""
    new_net = (
        update(Purchase)
        .where(Purchase.purchase_key == purchase_key)
        .values(net_amount=Purchase.total_amount - _refunded(purchase_key))
        .returning(Purchase.net_amount)
    )
    net = (await session.execute(new_net)).scalar()
    if net is None:
        return
    await session.execute(
        update(PurchaseCategory)
        .where(
            PurchaseCategory.purchase_key == purchase_key, PurchaseCategory.counted.is_not(net > 0)
        )
        .values(counted=net > 0)
    )


async def purchase_totals(session: AsyncSession, customer_id: str) -> Any:
    """first, last, count, spend, last_store_id, last_channel over the purchases that count."""
    counted = (Purchase.customer_id == customer_id, Purchase.net_amount > 0)
    latest = (
        select(Purchase.store_id, Purchase.channel)
        .where(*counted)
        .order_by(Purchase.purchased_at.desc(), Purchase.purchase_key.desc())
        .limit(1)
        .subquery("latest")
    )
    totals = (
        select(
            func.min(Purchase.purchased_at).label("first"),
            func.max(Purchase.purchased_at).label("last"),
            func.count().label("count"),
            func.coalesce(func.sum(Purchase.net_amount), 0).label("spend"),
        )
        .where(*counted)
        .subquery("totals")
    )
    query = select(totals, latest.c.store_id, latest.c.channel).select_from(
        totals.outerjoin(latest, true())
    )
    return (await session.execute(query)).one()


async def evaluate_customer(
    session: AsyncSession,
    customer_id: str,
    columns: Sequence[tuple[str | None, Any]],
    segment_ids: Sequence[str],
) -> tuple[set[str], set[str]]:
    """The segments one customer should be in and is in, among ``segment_ids``, in one query.

    ``columns`` are (segment id, condition), or (None, an expression naming the segment).
    """
    m = Membership.__table__.c
    current = (
        select(func.aggregate_strings(m.segment_id, ","))
        .where(m.customer_id == customer_id, m.segment_id.in_(segment_ids))
        .scalar_subquery()
    )
    profile = CustomerProfile.__table__.c
    query = select(*(value for _, value in columns), current).where(
        profile.customer_id == customer_id
    )
    row = (await session.execute(query)).one()
    desired: set[str] = set()
    for value, (segment_id, _) in zip(row, columns, strict=False):
        if segment_id is None and value is not None:
            desired.add(str(value))
        elif segment_id is not None and value:
            desired.add(segment_id)
    stored = row[len(columns)]
    return desired, set(stored.split(",")) if stored else set()


async def get_segment(session: AsyncSession, segment_id: str) -> Segment | None:
    return await session.get(Segment, segment_id)


async def list_segments(session: AsyncSession, kind: str | None = None) -> Sequence[Segment]:
    query = select(Segment).order_by(Segment.kind, Segment.created_at, Segment.id)
    if kind:
        query = query.where(Segment.kind == kind)
    return (await session.scalars(query)).all()


async def segments_page(
    session: AsyncSession, kind: str | None, after: Sequence[Any] | None, limit: int
) -> Sequence[Segment]:
    """By (kind, created_at, id); `after` is that key of the last row of the previous page."""
    query = select(Segment)
    if kind:
        query = query.where(Segment.kind == kind)
    order = [Segment.kind, Segment.created_at, Segment.id]
    return (await session.scalars(ascending(query, order, after, limit))).all()


def add_segment(session: AsyncSession, segment: Segment) -> None:
    session.add(segment)


async def delete_segment(session: AsyncSession, segment: Segment) -> None:
    await session.delete(segment)
    await session.flush()


async def count_members(session: AsyncSession, segment_id: str) -> int:
    query = select(func.count()).select_from(Membership).where(Membership.segment_id == segment_id)
    return int((await session.execute(query)).scalar_one())


async def member_counts(session: AsyncSession, segment_ids: Sequence[str]) -> dict[str, int]:
    query = (
        select(Membership.segment_id, func.count())
        .where(Membership.segment_id.in_(segment_ids))
        .group_by(Membership.segment_id)
    )
    return {segment_id: int(n) for segment_id, n in (await session.execute(query)).all()}


async def members_page(
    session: AsyncSession, segment_id: str, after: str | None, limit: int
) -> list[str]:
    query = select(Membership.customer_id).where(Membership.segment_id == segment_id)
    if after:
        query = query.where(Membership.customer_id > after)
    query = query.order_by(Membership.customer_id).limit(limit)
    return list((await session.scalars(query)).all())


async def segments_of(session: AsyncSession, customer_id: str) -> Sequence[Segment]:
    query = (
        select(Segment)
        .join(Membership, Membership.segment_id == Segment.id)
        .where(Membership.customer_id == customer_id)
        .order_by(Segment.kind, Segment.id)
    )
    return (await session.scalars(query)).all()


async def drop_memberships(session: AsyncSession, segment_id: str) -> list[str]:
    query = select(Membership.customer_id).where(Membership.segment_id == segment_id)
    customers = list((await session.scalars(query)).all())
    await session.execute(delete(Membership).where(Membership.segment_id == segment_id))
    return customers
