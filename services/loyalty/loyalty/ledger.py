"""The ledger's queries: member locks, lots, and the append-only journal."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from loyalty.domain.receipt import LotView, Restrictions
from loyalty.models import JournalEntry, Lot, Member, Operation, Purchase


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def lock_member(session: AsyncSession, member_id: str) -> Member | None:
    """Serialises every balance-changing operation of one member (row lock, or SQLite's)."""
    return await _lock(session, Member.id == member_id)


async def lock_member_with_purchase(
    session: AsyncSession, txid: str
) -> tuple[Member, Purchase] | tuple[None, None]:
    """The purchase and its member, both locked: one statement on PostgreSQL.

    Both rows are locked so that a statement which waited for the lock sees the newest version
    of each (READ COMMITTED re-reads only locked rows after a wait).
    """
    if _dialect(session) == "sqlite":
        owner = select(Purchase.member_id).where(Purchase.txid == txid).scalar_subquery()
        await _take_sqlite_lock(session, Member.id == owner)
    query = select(Member, Purchase).join(Purchase, Purchase.member_id == Member.id)
    query = query.where(Purchase.txid == txid)
    if _dialect(session) == "postgresql":
        query = query.with_for_update(of=[Member, Purchase])
    found = (await session.execute(query.execution_options(populate_existing=True))).first()
    return (found[0], found[1]) if found else (None, None)


async def _take_sqlite_lock(session: AsyncSession, condition: Any) -> None:
    # A write as the first statement takes SQLite's database lock for the transaction.
    await session.execute(update(Member).where(condition).values(lock_seq=Member.lock_seq + 1))


async def _lock(session: AsyncSession, condition: Any) -> Member | None:
    if _dialect(session) == "sqlite":
        await _take_sqlite_lock(session, condition)
    query = select(Member).where(condition)
    if _dialect(session) == "postgresql":
        query = query.with_for_update()
    query = query.execution_options(populate_existing=True)
    return (await session.execute(query)).scalars().first()


@dataclass
class Journal:
    """Collects the entries of one operation and writes them together."""

    kind: str
    member_id: str | None
    reference: str | None
    now: datetime
    entries: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        kind: str,
        member_id: str,
        lot_id: str | None,
        points: int = 0,
        held: int = 0,
        debt: int = 0,
    ) -> None:
        self.entries.append(
            {
                "member_id": member_id,
                "lot_id": lot_id,
                "kind": kind,
                "points": points,
                "held": held,
                "debt": debt,
                "created_at": self.now,
            }
        )

    async def write(self, session: AsyncSession) -> None:
        if not self.entries:
            return
        operation = await session.execute(
            insert(Operation)
            .values(
                kind=self.kind,
                member_id=self.member_id,
                reference=self.reference,
                created_at=self.now,
            )
            .returning(Operation.id)
        )
        operation_id = operation.scalar_one()
        await session.execute(
            insert(JOURNAL),  # a plain executemany: no ORM bulk machinery
            [{**e, "operation_id": operation_id} for e in self.entries],
        )
        self.entries.clear()


JOURNAL = cast(Table, JournalEntry.__table__)


def restrictions_of(lot: Lot) -> Restrictions:
    raw = lot.restrictions or {}
    return Restrictions(**{key: tuple(raw.get(key) or ()) for key in Restrictions.__annotations__})


def view(lot: Lot) -> LotView:
    return LotView(
        lot.id, lot.remaining - lot.reserved, lot.expires_at, lot.created_at, restrictions_of(lot)
    )


async def spendable_lots(session: AsyncSession, member_id: str, now: datetime) -> list[LotView]:
    query = select(Lot).where(
        Lot.member_id == member_id,
        Lot.active_from <= now,
        Lot.expires_at >= now,
        Lot.remaining > Lot.reserved,
    )
    query = query.execution_options(populate_existing=True)
    return [view(lot) for lot in (await session.execute(query)).scalars()]


async def hold(session: AsyncSession, lot_id: str, points: int, now: datetime) -> bool:
    """Reserves points of a lot if they are still free and alive; False otherwise."""
    result = await session.execute(
        update(Lot)
        .where(Lot.id == lot_id, Lot.remaining - Lot.reserved >= points, Lot.expires_at >= now)
        .values(reserved=Lot.reserved + points)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def change_lot(session: AsyncSession, lot_id: str, points: int = 0, held: int = 0) -> None:
    await session.execute(
        update(Lot)
        .where(Lot.id == lot_id)
        .values(remaining=Lot.remaining + points, reserved=Lot.reserved + held)
        .execution_options(synchronize_session=False)
    )


def new_lot(
    member_id: str,
    amount: int,
    source: str,
    active_from: datetime,
    expires_at: datetime,
    now: datetime,
    reference: str | None = None,
    **extra: Any,
) -> Lot:
    return Lot(
        id=str(uuid.uuid4()),
        member_id=member_id,
        source=source,
        reference=reference,
        initial=amount,
        remaining=amount,
        reserved=0,
        active_from=active_from,
        expires_at=expires_at,
        created_at=now,
        **extra,
    )


async def extend_purchase_lots(
    session: AsyncSession, member_id: str, until: datetime, now: datetime
) -> None:
    """A purchase keeps the member's open purchase-earned points alive until ``until``."""
    await session.execute(
        update(Lot)
        .where(
            Lot.member_id == member_id,
            Lot.source == "purchase",
            Lot.remaining > 0,
            Lot.expires_at >= now,
            Lot.expires_at < until,
        )
        .values(expires_at=until, expiring_notified_at=None)
        .execution_options(synchronize_session=False)
    )


async def trailing_spend(session: AsyncSession, member_id: str, since: datetime) -> int:
    query = select(func.coalesce(func.sum(Purchase.paid_amount - Purchase.refunded_amount), 0))
    query = query.where(
        Purchase.member_id == member_id,
        Purchase.status == "confirmed",
        Purchase.confirmed_at >= since,
    )
    return int((await session.execute(query)).scalar_one())


async def member_lots(session: AsyncSession, member_id: str) -> list[Lot]:
    query = select(Lot).where(Lot.member_id == member_id).order_by(Lot.expires_at)
    query = query.execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())
