from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.cursors import newest_first
from kit.db import add_unless_duplicate
from loyalty.models import Lot, Member, Purchase, Return


async def get_member(session: AsyncSession, member_id: str) -> Member | None:
    return await session.get(Member, member_id)


async def find_by_contact(
    session: AsyncSession, phone: str | None, email: str | None
) -> Member | None:
    conditions = []
    if phone:
        conditions.append(Member.phone == phone)
    if email:
        conditions.append(Member.email == email)
    if not conditions:
        return None
    return (await session.execute(select(Member).where(or_(*conditions)))).scalars().first()


async def add_member(session: AsyncSession, member: Member) -> Member | None:
    """The stored member; None when a concurrent registration took the phone or email first."""
    return await add_unless_duplicate(session, member)


async def member_cities(session: AsyncSession, member_ids: list[str]) -> dict[str, str | None]:
    """Each known member's city (None without one), in the order given; unknown ids left out."""
    found: dict[str, str | None] = {}
    for start in range(0, len(member_ids), 500):
        query = select(Member.id, Member.city).where(Member.id.in_(member_ids[start : start + 500]))
        found.update((row.id, row.city) for row in await session.execute(query))
    return {member_id: found[member_id] for member_id in member_ids if member_id in found}


# --- a member's history for support and marketers: purchases, their returns, lots


async def confirmed_purchases(
    session: AsyncSession,
    member_id: str,
    after: tuple[datetime, str, str] | None,
    limit: int,
) -> Sequence[Purchase]:
    """Newest first, `limit` after the (confirmed_at, store_id, txid) of the last one seen."""
    query = select(Purchase).where(Purchase.member_id == member_id, Purchase.status == "confirmed")
    if after is not None:
        moment, store, txid = after
        query = query.where(
            or_(
                Purchase.confirmed_at < moment,
                and_(
                    Purchase.confirmed_at == moment,
                    or_(
                        Purchase.store_id < store,
                        and_(Purchase.store_id == store, Purchase.txid < txid),
                    ),
                ),
            )
        )
    order = (Purchase.confirmed_at.desc(), Purchase.store_id.desc(), Purchase.txid.desc())
    return (await session.scalars(query.order_by(*order).limit(limit))).all()


async def returns_of(session: AsyncSession, purchases: Sequence[Purchase]) -> Sequence[Return]:
    """The returns of these purchases, oldest first (the unique key leads with txid)."""
    if not purchases:
        return []
    keys = {(p.txid, p.store_id) for p in purchases}
    query = select(Return).where(Return.txid.in_({txid for txid, _ in keys}))
    rows = await session.scalars(query.order_by(Return.created_at, Return.id))
    return [row for row in rows if (row.txid, row.store_id) in keys]


async def lots_page(
    session: AsyncSession, member_id: str, after: tuple[datetime, str] | None, limit: int
) -> Sequence[Lot]:
    """The member's lots, newest first, `limit` after the (created_at, id) of the last seen."""
    query = select(Lot).where(Lot.member_id == member_id)
    query = newest_first(query, Lot.created_at, Lot.id, after, limit)
    return (await session.scalars(query)).all()


async def accrued_by(
    session: AsyncSession, member_id: str, lot_ids: Sequence[str]
) -> dict[str, Purchase]:
    """The purchase whose accrual each of these lots is, by lot id (other lots left out)."""
    if not lot_ids:
        return {}
    query = select(Purchase).where(
        Purchase.member_id == member_id, Purchase.accrual_lot_id.in_(lot_ids)
    )
    return {p.accrual_lot_id: p for p in await session.scalars(query) if p.accrual_lot_id}
