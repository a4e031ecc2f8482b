"""Every query of the segments service that is not a compiled rule."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import insert_ignoring_conflict
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
    and sorts and hashes get the memory to stay off disk.
    """
    if _is_postgres(session):
        await session.execute(text(f"SET LOCAL work_mem = '{int(work_memory_mb)}MB'"))
        await session.execute(text("SET LOCAL enable_nestloop = off"))
        await session.execute(text("SET LOCAL enable_indexscan = off"))


async def get_profile(session: AsyncSession, customer_id: str) -> CustomerProfile | None:
    return await session.get(CustomerProfile, customer_id)


def add_profile(session: AsyncSession, profile: CustomerProfile) -> None:
    session.add(profile)


async def locked_profile(session: AsyncSession, customer_id: str, now: datetime) -> CustomerProfile:
    """The customer's profile, created empty if this is the first event about them."""
    stub = {"customer_id": customer_id, "time_zone": "UTC", "subscribed_channels": []}
    await insert_ignoring_conflict(session, CustomerProfile.__table__, {**stub, "updated_at": now})
    profile = await session.get(
        CustomerProfile, customer_id, with_for_update=True, populate_existing=True
    )
    assert profile is not None
    return profile


async def remember_time_zone(session: AsyncSession, time_zone: str) -> None:
    await insert_ignoring_conflict(session, KnownTimeZone.__table__, {"time_zone": time_zone})


async def known_time_zones(session: AsyncSession) -> list[str]:
    return list((await session.scalars(select(KnownTimeZone.time_zone))).all())


async def insert_purchase(session: AsyncSession, values: dict[str, Any]) -> bool:
    return await insert_ignoring_conflict(session, Purchase.__table__, values)


async def insert_category(session: AsyncSession, values: dict[str, Any]) -> None:
    await insert_ignoring_conflict(session, PurchaseCategory.__table__, values)


async def insert_return(session: AsyncSession, values: dict[str, Any]) -> bool:
    return await insert_ignoring_conflict(session, PurchaseReturn.__table__, values)


async def recompute_net_amount(session: AsyncSession, txid: str) -> None:
    """Net = total minus every return seen so far, whatever order they arrived in."""
    refunded = (
        select(func.coalesce(func.sum(PurchaseReturn.refunded_amount), 0))
        .where(PurchaseReturn.txid == txid)
        .scalar_subquery()
    )
    await session.execute(
        update(Purchase)
        .where(Purchase.txid == txid)
        .values(net_amount=Purchase.total_amount - refunded)
    )
    counted = select(Purchase.net_amount > 0).where(Purchase.txid == txid).scalar_subquery()
    await session.execute(
        update(PurchaseCategory).where(PurchaseCategory.txid == txid).values(counted=counted)
    )


async def purchase_totals(session: AsyncSession, customer_id: str) -> Any:
    query = select(
        func.min(Purchase.purchased_at).label("first"),
        func.max(Purchase.purchased_at).label("last"),
        func.count().label("count"),
        func.coalesce(func.sum(Purchase.net_amount), 0).label("spend"),
    ).where(Purchase.customer_id == customer_id, Purchase.net_amount > 0)
    return (await session.execute(query)).one()


async def last_purchase(session: AsyncSession, customer_id: str) -> Purchase | None:
    query = (
        select(Purchase)
        .where(Purchase.customer_id == customer_id, Purchase.net_amount > 0)
        .order_by(Purchase.purchased_at.desc(), Purchase.txid.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()


async def get_segment(session: AsyncSession, segment_id: str) -> Segment | None:
    return await session.get(Segment, segment_id)


async def list_segments(session: AsyncSession, kind: str | None = None) -> Sequence[Segment]:
    query = select(Segment).order_by(Segment.kind, Segment.created_at, Segment.id)
    if kind:
        query = query.where(Segment.kind == kind)
    return (await session.scalars(query)).all()


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
