"""Every query of the segments service that is not a compiled rule."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, bindparam, case, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.cursors import ascending
from kit.db import insert_for, insert_ignoring_conflict, insert_rows_ignoring_conflict
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


async def locked_profiles(
    session: AsyncSession, customer_ids: Sequence[str], now: datetime
) -> dict[str, CustomerProfile]:
    """``locked_profile`` of many customers in one statement: an upsert that, in customer
    order, locks each known profile and creates each missing one, so it takes its locks in the
    order every other writer of profiles does."""
    table = CustomerProfile.__table__
    rows = [
        {"customer_id": c, "time_zone": "UTC", "subscribed_channels": [], "updated_at": now}
        for c in sorted(set(customer_ids))
    ]
    # A no-op update of a column no index holds: the conflict's row lock, without a new
    # index entry.
    upsert = insert_for(session)(CustomerProfile).on_conflict_do_update(
        index_elements=[table.c.customer_id], set_={"time_zone": table.c.time_zone}
    )
    found = await session.scalars(
        upsert.returning(CustomerProfile), rows, execution_options={"populate_existing": True}
    )
    return {profile.customer_id: profile for profile in found}


async def _lock_profile(session: AsyncSession, customer_id: str) -> CustomerProfile | None:
    return await session.get(
        CustomerProfile, customer_id, with_for_update=True, populate_existing=True
    )


async def remember_time_zone(session: AsyncSession, time_zone: str) -> None:
    await insert_ignoring_conflict(session, KnownTimeZone.__table__, {"time_zone": time_zone})


async def known_time_zones(session: AsyncSession) -> list[str]:
    return list((await session.scalars(select(KnownTimeZone.time_zone))).all())


async def insert_purchases(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """The purchases in one statement, each with its net amount less the returns already seen
    (a return can arrive first); the net amount of each purchase that was new, by key. A
    purchase stored before is left as it is and missing from the answer."""
    if not rows:
        return {}
    # Rows go as an executemany (compiled once, kit.db); the statement works the net amount
    # out of each row's total and its returns, by parameters of their own: a parameter named
    # like a column would be that column's value.
    net = bindparam("gross_amount", type_=BigInteger()) - _refunded(bindparam("key_of_returns"))
    stmt = insert_for(session)(Purchase.__table__).values(net_amount=net).on_conflict_do_nothing()
    stmt = stmt.returning(Purchase.purchase_key, Purchase.net_amount)
    values = [
        {**row, "key_of_returns": row["purchase_key"], "gross_amount": row["total_amount"]}
        for row in rows
    ]
    return {key: int(net) for key, net in await session.execute(stmt, values)}


def _refunded(purchase_key: Any) -> Any:
    """Every return of the purchase seen so far, summed, as a scalar subquery (of a key, or of
    a parameter that carries it)."""
    return (
        select(func.coalesce(func.sum(PurchaseReturn.refunded_amount), 0))
        .where(PurchaseReturn.purchase_key == purchase_key)
        .scalar_subquery()
    )


async def insert_categories(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await insert_rows_ignoring_conflict(session, PurchaseCategory.__table__, rows)


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


async def purchase_totals(session: AsyncSession, customer_ids: Sequence[str]) -> dict[str, Any]:
    """Per customer with a purchase that counts, in one query: first, last, count, spend,
    last_store_id, last_channel over those purchases. A customer with none is missing."""
    counted = select(
        Purchase.customer_id,
        Purchase.purchased_at,
        Purchase.net_amount,
        Purchase.store_id,
        Purchase.channel,
        func.row_number()
        .over(
            partition_by=Purchase.customer_id,
            order_by=(Purchase.purchased_at.desc(), Purchase.purchase_key.desc()),
        )
        .label("recent"),
    ).where(Purchase.customer_id.in_(customer_ids), Purchase.net_amount > 0)
    c = counted.subquery("counted")
    query = select(
        c.c.customer_id,
        func.min(c.c.purchased_at),
        func.max(c.c.purchased_at),
        func.count(),
        func.sum(c.c.net_amount),
        func.max(case((c.c.recent == 1, c.c.store_id))),
        func.max(case((c.c.recent == 1, c.c.channel))),
    ).group_by(c.c.customer_id)
    return {row[0]: row[1:] for row in await session.execute(query)}


async def evaluate_customers(
    session: AsyncSession,
    customer_ids: Sequence[str],
    columns: Sequence[tuple[str | None, Any]],
    segment_ids: Sequence[str],
) -> dict[str, tuple[set[str], set[str]]]:
    """The segments each customer should be in and is in, among ``segment_ids``, in one query.

    ``columns`` are (segment id, condition), or (None, an expression naming the segment).
    """
    m = Membership.__table__.c
    profile = CustomerProfile.__table__.c
    current = (
        select(func.aggregate_strings(m.segment_id, ","))
        .where(m.customer_id == profile.customer_id, m.segment_id.in_(segment_ids))
        .scalar_subquery()
    )
    query = select(profile.customer_id, *(value for _, value in columns), current).where(
        profile.customer_id.in_(customer_ids)
    )
    found: dict[str, tuple[set[str], set[str]]] = {}
    for customer_id, *values, stored in await session.execute(query):
        desired: set[str] = set()
        for value, (segment_id, _) in zip(values, columns, strict=True):
            if segment_id is None and value is not None:
                desired.add(str(value))
            elif segment_id is not None and value:
                desired.add(segment_id)
        found[customer_id] = (desired, set(stored.split(",")) if stored else set())
    return found


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
