"""The ledger's queries: member locks, lots, and the append-only journal."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import (
    BigInteger,
    Row,
    Select,
    String,
    Table,
    and_,
    bindparam,
    exists,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from kit.contracts.loyalty import LotPoints
from kit.db import UtcDateTime
from loyalty.domain.debt import settlement
from loyalty.domain.receipt import LotView, Restrictions
from loyalty.models import JournalEntry, Lot, Member, Operation, Purchase, RedemptionAllocation


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def on_postgresql(session: AsyncSession) -> bool:
    """PostgreSQL, where locks are row locks and several writes can be one statement."""
    return _dialect(session) == "postgresql"


_MEMBER = (
    select(Member)
    .where(Member.id == bindparam("member_id"))
    .execution_options(populate_existing=True)
)
_MEMBER_AND_PURCHASE = (
    select(Member, Purchase)
    .join(Purchase, Purchase.member_id == Member.id)
    .where(Purchase.txid == bindparam("txid"), Purchase.store_id == bindparam("store_id"))
    .execution_options(populate_existing=True)
)
# Every purchase under a txid at any store, in store order: one is the answer, two ambiguous.
_MEMBERS_AND_PURCHASES_OF_TXID = (
    select(Member, Purchase)
    .join(Purchase, Purchase.member_id == Member.id)
    .where(Purchase.txid == bindparam("txid"))
    .order_by(Purchase.store_id)
    .limit(2)
    .execution_options(populate_existing=True)
)
_LOCKED = {
    "member": _MEMBER.with_for_update(),
    "member_and_purchase": _MEMBER_AND_PURCHASE.with_for_update(of=[Member, Purchase]),
    "of_txid": _MEMBERS_AND_PURCHASES_OF_TXID.with_for_update(of=[Member, Purchase]),
}
_UNLOCKED = {
    "member": _MEMBER,
    "member_and_purchase": _MEMBER_AND_PURCHASE,
    "of_txid": _MEMBERS_AND_PURCHASES_OF_TXID,
}


def _locking(session: AsyncSession, name: str) -> Any:
    """The statement ``name`` with FOR UPDATE on PostgreSQL (SQLite is locked by a write)."""
    return (_LOCKED if on_postgresql(session) else _UNLOCKED)[name]


async def lock_member(session: AsyncSession, member_id: str) -> Member | None:
    """Serialises every balance-changing operation of one member (row lock, or SQLite's)."""
    if _dialect(session) == "sqlite":
        await _take_sqlite_lock(session, Member.id == member_id)
    found = await session.execute(_locking(session, "member"), {"member_id": member_id})
    return found.scalars().first()


async def lock_member_with_purchase(
    session: AsyncSession, store_id: str, txid: str
) -> tuple[Member, Purchase] | tuple[None, None]:
    """The purchase and its member, both locked: one statement on PostgreSQL.

    Both rows are locked so that a statement which waited for the lock sees the newest version
    of each (READ COMMITTED re-reads only locked rows after a wait).
    """
    if _dialect(session) == "sqlite":
        owner = select(Purchase.member_id).where(
            Purchase.txid == txid, Purchase.store_id == store_id
        )
        await _take_sqlite_lock(session, Member.id == owner.scalar_subquery())
    statement = _locking(session, "member_and_purchase")
    found = (await session.execute(statement, {"txid": txid, "store_id": store_id})).first()
    return (found[0], found[1]) if found else (None, None)


async def lock_purchases_of_txid(session: AsyncSession, txid: str) -> list[tuple[Member, Purchase]]:
    """The purchases under ``txid`` whatever their store, each with its member, all locked, in
    one statement on PostgreSQL: none, one, or two when the txid is ambiguous."""
    if _dialect(session) == "sqlite":
        owners = select(Purchase.member_id).where(Purchase.txid == txid)
        await _take_sqlite_lock(session, Member.id.in_(owners))
    found = await session.execute(_locking(session, "of_txid"), {"txid": txid})
    return [(member, purchase) for member, purchase in found]


async def _take_sqlite_lock(session: AsyncSession, condition: Any) -> None:
    # A write as the first statement takes SQLite's database lock for the transaction.
    await session.execute(update(Member).where(condition).values(lock_seq=Member.lock_seq + 1))


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

    def params(self) -> dict[str, Any]:
        """The parameters of ``journal_ctes``: the operation, and its entries as one array per
        column, in the order they were added."""
        return {
            "journal_kind": self.kind,
            "journal_member_id": self.member_id,
            "journal_reference": self.reference,
            "journal_created_at": self.now,
            **{name: [e[key] for e in self.entries] for name, (key, _) in _ENTRY_ARRAYS.items()},
        }

    async def write(self, session: AsyncSession) -> None:
        """The operation and its entries: one statement on PostgreSQL, two elsewhere."""
        if not self.entries:
            return
        if on_postgresql(session):
            await session.execute(_OPERATION_AND_ENTRIES, self.params())
        else:
            operation = {
                "kind": self.kind,
                "member_id": self.member_id,
                "reference": self.reference,
                "created_at": self.now,
            }
            operation_id = (await session.execute(NEW_OPERATION, operation)).scalar_one()
            await session.execute(
                NEW_JOURNAL_ENTRY,  # a plain executemany: no ORM bulk machinery
                [{**e, "operation_id": operation_id} for e in self.entries],
            )
        self.entries.clear()


# The hot statements are built once, on the tables rather than the mapped classes: each call
# then skips building and keying the statement and the ORM's bulk machinery, while
# `session.execute` still flushes pending ORM changes first, as before.
JOURNAL = cast(Table, JournalEntry.__table__)
LOTS = cast(Table, Lot.__table__)
PURCHASES = cast(Table, Purchase.__table__)
ALLOCATIONS = cast(Table, RedemptionAllocation.__table__)
NEW_OPERATION = insert(cast(Table, Operation.__table__)).returning(Operation.__table__.c.id)
NEW_JOURNAL_ENTRY = insert(JOURNAL)
# The entries' columns, one array each, unnested in the order they were added.
_ENTRY_ARRAYS: dict[str, tuple[str, postgresql.ARRAY[Any]]] = {
    "journal_member_ids": ("member_id", postgresql.ARRAY(String(36))),
    "journal_lot_ids": ("lot_id", postgresql.ARRAY(String(36))),
    "journal_kinds": ("kind", postgresql.ARRAY(String(16))),
    "journal_points": ("points", postgresql.ARRAY(BigInteger())),
    "journal_held": ("held", postgresql.ARRAY(BigInteger())),
    "journal_debt": ("debt", postgresql.ARRAY(BigInteger())),
}


# A journal's operation and entries as two data-modifying CTEs (PostgreSQL), which a step's
# other writes may join in one statement (loyalty.till_writes). Without entries, no operation;
# nor when the CTE named ``gate`` (a check of the statement's own) returns no row.
def journal_ctes(gate: str | None = None) -> str:
    gated = f" AND EXISTS (SELECT FROM {gate})" if gate else ""
    return (
        "operation AS (INSERT INTO operations (kind, member_id, reference, created_at)"
        " SELECT :journal_kind, :journal_member_id, :journal_reference, :journal_created_at"
        f" WHERE cardinality(:journal_kinds) > 0{gated} RETURNING id),"
        " entries AS (INSERT INTO journal (operation_id, member_id, lot_id, kind, points, held,"
        " debt, created_at)"
        " SELECT operation.id, e.member_id, e.lot_id, e.kind, e.points, e.held, e.debt,"
        " :journal_created_at FROM operation, unnest(:journal_member_ids, :journal_lot_ids,"
        " :journal_kinds, :journal_points, :journal_held, :journal_debt)"
        " WITH ORDINALITY AS e(member_id, lot_id, kind, points, held, debt, n) ORDER BY e.n)"
    )


JOURNAL_PARAMS: tuple[BindParameter[Any], ...] = (
    bindparam("journal_kind", type_=String()),
    bindparam("journal_member_id", type_=String()),
    bindparam("journal_reference", type_=String()),
    bindparam("journal_created_at", type_=UtcDateTime()),
    *(bindparam(name, type_=kind) for name, (_, kind) in _ENTRY_ARRAYS.items()),
)
_OPERATION_AND_ENTRIES = text(f"WITH {journal_ctes()} SELECT 1").bindparams(*JOURNAL_PARAMS)


def restrictions_of(raw: dict[str, Any] | None) -> Restrictions:
    raw = raw or {}
    return Restrictions(**{key: tuple(raw.get(key) or ()) for key in Restrictions.__annotations__})


# Built once: a statement object keeps its cache key, so each call skips building and keying it.
_NOW = bindparam("now", type_=UtcDateTime())
_SPENDABLE = (Lot.active_from <= _NOW, Lot.expires_at >= _NOW, Lot.remaining > Lot.reserved)
_LOT_VIEW = (Lot.id, Lot.remaining, Lot.reserved, Lot.expires_at, Lot.created_at, Lot.restrictions)
SPENDABLE_LOTS = select(*_LOT_VIEW).where(Lot.member_id == bindparam("member_id"), *_SPENDABLE)
TIER_AND_SPENDABLE_LOTS = (
    select(Member.tier, *_LOT_VIEW)
    .outerjoin(Lot, and_(Lot.member_id == Member.id, *_SPENDABLE))
    .where(Member.id == bindparam("member_id"))
)


class Columns(Protocol):
    """A row whose values are found by column name: SQLAlchemy's ``Row._mapping`` or an
    asyncpg record (loyalty.till_driver)."""

    def __getitem__(self, name: str, /) -> Any: ...


def view(row: Row[Any]) -> LotView:
    return lot_view(row._mapping)


def lot_view(row: Columns) -> LotView:
    free = row["remaining"] - row["reserved"]
    restrictions = restrictions_of(row["restrictions"])
    return LotView(row["id"], free, row["expires_at"], row["created_at"], restrictions)


async def spendable_lots(session: AsyncSession, member_id: str, now: datetime) -> list[LotView]:
    """The member's lots as they are now: the caller holds the member's lock."""
    connection = await session.connection()
    rows = await connection.execute(SPENDABLE_LOTS, {"member_id": member_id, "now": now})
    return [view(row) for row in rows]


# A reservation's read: the member's spendable lots, and whether it needs a closer look first.
# It does for a purchase under its txid at the store (a retry), or a lapsed reservation of the
# member's to release. Both are rare, so the usual reservation reads once.
_NEEDS_LOOK = exists().where(
    or_(
        and_(Purchase.txid == bindparam("txid"), Purchase.store_id == bindparam("store_id")),
        and_(
            Purchase.member_id == bindparam("member_id"),
            Purchase.status == "reserved",
            Purchase.reserved_until < _NOW,
        ),
    )
)
LOTS_TO_RESERVE = (
    select(_NEEDS_LOOK.label("look"), *_LOT_VIEW)
    .select_from(Member)
    .outerjoin(Lot, and_(Lot.member_id == Member.id, *_SPENDABLE))
    .where(Member.id == bindparam("member_id"))
)


async def lots_to_reserve(
    session: AsyncSession, member_id: str, store_id: str, txid: str, now: datetime
) -> tuple[bool, list[LotView]]:
    """The locked member's spendable lots, and True if a purchase holds ``txid`` at the store
    already or one of the member's reservations has lapsed (the lots are then read again)."""
    connection = await session.connection()
    params = {"member_id": member_id, "store_id": store_id, "txid": txid, "now": now}
    rows = (await connection.execute(LOTS_TO_RESERVE, params)).all()
    return rows[0].look, [view(row) for row in rows if row.id is not None]


async def tier_and_spendable_lots(
    connection: AsyncConnection, member_id: str, now: datetime
) -> tuple[str, list[LotView]] | None:
    """A member's tier and spendable lots in one statement (one snapshot); None: no member."""
    rows = (
        await connection.execute(TIER_AND_SPENDABLE_LOTS, {"member_id": member_id, "now": now})
    ).all()
    if not rows:
        return None
    return rows[0].tier, [view(row) for row in rows if row.id is not None]


_POINTS = bindparam("points", type_=BigInteger())
_HELD = bindparam("held", type_=BigInteger())
HOLD = (
    update(LOTS)
    .where(
        LOTS.c.id == bindparam("lot_id"),
        LOTS.c.remaining - LOTS.c.reserved >= _POINTS,
        LOTS.c.expires_at >= _NOW,
    )
    .values(reserved=LOTS.c.reserved + _POINTS)
)
CHANGE_LOT = (
    update(LOTS)
    .where(LOTS.c.id == bindparam("lot_id"))
    .values(remaining=LOTS.c.remaining + _POINTS, reserved=LOTS.c.reserved + _HELD)
)


async def hold(session: AsyncSession, lot_id: str, points: int, now: datetime) -> bool:
    """Reserves points of a lot if they are still free and alive; False otherwise."""
    result = await session.execute(HOLD, {"lot_id": lot_id, "points": points, "now": now})
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def change_lot(session: AsyncSession, lot_id: str, points: int = 0, held: int = 0) -> None:
    await session.execute(CHANGE_LOT, {"lot_id": lot_id, "points": points, "held": held})


NEW_LOT = insert(LOTS)


async def insert_lot(session: AsyncSession, lot: Lot) -> None:
    """Writes a new, unsaved lot with one INSERT of the columns it sets, outside the ORM."""
    given = inspect(lot).dict
    await session.execute(NEW_LOT, {c.key: given[c.key] for c in LOTS.columns if c.key in given})


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
        activated_at=active_from if active_from <= now else None,
        **extra,
    )


_UNTIL = bindparam("until", type_=UtcDateTime())
# The points this confirm captures from a lot: the extension counts what the lot keeps after it.
_CAPTURING = (
    select(func.coalesce(func.sum(ALLOCATIONS.c.points), 0))
    .where(
        ALLOCATIONS.c.txid == bindparam("txid"),
        ALLOCATIONS.c.store_id == bindparam("store"),
        ALLOCATIONS.c.lot_id == LOTS.c.id,
    )
    .scalar_subquery()
)
# A confirm extends its member's purchase lots that keep points after its capture. This is
# SQLite's statement; on PostgreSQL the same rule is part of till_writes.CONFIRMATION.
EXTEND_PURCHASE_LOTS = (
    update(LOTS)
    .where(
        LOTS.c.member_id == bindparam("owner"),  # a column's own name is taken in an UPDATE
        LOTS.c.source == "purchase",
        LOTS.c.remaining - _CAPTURING > 0,
        LOTS.c.expires_at >= _NOW,
        LOTS.c.expires_at < _UNTIL,
    )
    .values(expires_at=_UNTIL, expiring_notified_at=None)
)


def spend_of(spender: Any) -> Select[Any]:
    """The confirmed spend of ``spender`` (a parameter, or a column of the query it is put in)
    since ``since``, leaving out the purchase ``excluding`` at ``excluding_store``."""
    counted = PURCHASES.alias("counted")
    spend = func.sum(counted.c.paid_amount - counted.c.refunded_amount)
    return select(func.coalesce(spend, 0)).where(
        counted.c.member_id == spender,
        counted.c.status == "confirmed",
        counted.c.confirmed_at >= bindparam("since", type_=UtcDateTime()),
        ~and_(
            counted.c.txid == bindparam("excluding"),
            counted.c.store_id == bindparam("excluding_store"),
        ),
    )


TRAILING_SPEND = spend_of(bindparam("spender"))
NEW_ALLOCATION = insert(ALLOCATIONS)
_NEW_PURCHASE = {
    "postgresql": postgresql.insert(PURCHASES).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(PURCHASES).on_conflict_do_nothing(),
}
ALLOCATED_POINTS = (
    select(ALLOCATIONS.c.lot_id, ALLOCATIONS.c.points)
    .where(ALLOCATIONS.c.txid == bindparam("txid"), ALLOCATIONS.c.store_id == bindparam("store"))
    .order_by(ALLOCATIONS.c.id)
)


async def trailing_spend(
    session: AsyncSession, member_id: str, since: datetime, excluding: tuple[str, str] = ("", "")
) -> int:
    """Confirmed spend since ``since``, leaving out the purchase ``excluding`` (store, txid);
    txids are never empty, so the default leaves out nothing."""
    store, txid = excluding
    params = {"spender": member_id, "since": since, "excluding": txid, "excluding_store": store}
    return int((await session.execute(TRAILING_SPEND, params)).scalar_one())


OLDEST_COUNTED_PURCHASE = select(func.min(PURCHASES.c.confirmed_at)).where(
    PURCHASES.c.member_id == bindparam("member_id"),
    PURCHASES.c.status == "confirmed",
    PURCHASES.c.confirmed_at >= bindparam("since", type_=UtcDateTime()),
)


async def oldest_counted_purchase(
    session: AsyncSession, member_id: str, since: datetime
) -> datetime | None:
    """When the member's oldest purchase confirmed since ``since`` was confirmed."""
    params = {"member_id": member_id, "since": since}
    found: datetime | None = (await session.execute(OLDEST_COUNTED_PURCHASE, params)).scalar()
    return found


async def insert_purchase(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Claims the row's txid: False when another purchase holds it already."""
    result = await session.execute(_NEW_PURCHASE[_dialect(session)], row)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def allocated_points(session: AsyncSession, purchase: Purchase) -> list[tuple[str, int]]:
    """(lot id, points) of each allocation of a reservation, in the order they were made."""
    params = {"txid": purchase.txid, "store": purchase.store_id}
    rows = await session.execute(ALLOCATED_POINTS, params)
    return [(row.lot_id, row.points) for row in rows]


# A confirm's capture and the event's `redeemed_lots` in one read: the points each lot holds
# for the reservation (in the order of its first allocation) with where the lot came from.
def captured_lots(txid: ColumnElement[str], store: ColumnElement[str]) -> Select[Any]:
    """The points each lot holds for the reservation ``txid`` at ``store`` (values, or the
    columns of a purchase the statement reads)."""
    return (
        select(
            ALLOCATIONS.c.lot_id,
            func.sum(ALLOCATIONS.c.points).label("points"),
            LOTS.c.source,
            LOTS.c.grant_id,
            LOTS.c.reference,
        )
        .outerjoin(LOTS, LOTS.c.id == ALLOCATIONS.c.lot_id)
        .where(ALLOCATIONS.c.txid == txid, ALLOCATIONS.c.store_id == store)
        .group_by(ALLOCATIONS.c.lot_id, LOTS.c.source, LOTS.c.grant_id, LOTS.c.reference)
        .order_by(func.min(ALLOCATIONS.c.id))
    )


CAPTURED_LOTS = captured_lots(bindparam("txid"), bindparam("store"))


def captured(lots: Select[Any]) -> Select[Any]:
    """``lots`` with each lot's first allocation, the order in which they were taken."""
    return lots.add_columns(func.min(ALLOCATIONS.c.id).label("first"))


# A confirm's read, after its lock: the capture and the member's trailing spend
# (loyalty.tiering). The extension of the member's purchase lots is written with the confirm's
# other writes (loyalty.till_writes).
CAPTURED = captured(CAPTURED_LOTS).subquery()
_ONE_ROW = select(literal(1).label("one")).subquery()
CAPTURE = (
    select(TRAILING_SPEND.scalar_subquery().label("spend"), CAPTURED)
    .select_from(_ONE_ROW.outerjoin(CAPTURED, true()))
    .order_by(CAPTURED.c.first)
)


@dataclass(frozen=True)
class Capture:
    points: dict[str, int]  # the points the reservation holds, per lot
    named: list[LotPoints]  # the same, as events name them
    spend: int  # the member's confirmed spend since ``since``, this purchase left out


async def capture(session: AsyncSession, purchase: Purchase, since: datetime) -> Capture:
    """What the reservation holds per lot, and its member's spend since ``since``."""
    params = capture_params(purchase.txid, purchase.store_id, since)
    rows = await session.execute(CAPTURE, {**params, "spender": purchase.member_id})
    return capture_of([row._mapping for row in rows])


def capture_params(txid: str, store_id: str, since: datetime) -> dict[str, Any]:
    """The values of CAPTURE but its ``spender``."""
    return {
        "txid": txid,
        "store": store_id,
        "since": since,
        "excluding": txid,
        "excluding_store": store_id,
    }


def extension_params(purchase: Purchase, until: datetime, now: datetime) -> dict[str, Any]:
    """The values of EXTEND_PURCHASE_LOTS: the purchase's member's lots, until ``until``."""
    return {
        "txid": purchase.txid,
        "store": purchase.store_id,
        "owner": purchase.member_id,
        "until": until,
        "now": now,
    }


def capture_of(rows: Sequence[Columns]) -> Capture:
    """The capture read by CAPTURE or by the till's read of a confirm: one row even when
    nothing is held."""
    captured = [row for row in rows if row["lot_id"] is not None]
    points = {row["lot_id"]: int(row["points"]) for row in captured}
    named = [
        LotPoints(
            lot_id=row["lot_id"],
            points=int(row["points"]),
            source=row["source"],
            grant_id=row["grant_id"],
            reference=row["reference"],
        )
        for row in captured
        if row["source"] is not None
    ]
    return Capture(points, named, int(rows[0]["spend"]))


async def member_lots(session: AsyncSession, member_id: str) -> list[Lot]:
    query = select(Lot).where(Lot.member_id == member_id).order_by(Lot.expires_at)
    query = query.execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


# Free points of unexpired lots, pending ones included: what pays a debt (domain/debt.py).
_UNEXPIRED_FREE = select(*_LOT_VIEW).where(
    Lot.member_id == bindparam("member_id"), Lot.expires_at >= _NOW, Lot.remaining > Lot.reserved
)
IN_DEBT = select(Member.id).where(Member.debt > 0)


async def settle_debt(
    session: AsyncSession, member: Member, journal: Journal, now: datetime
) -> int:
    """Pays the locked member's debt from their free points; the points repaid."""
    if member.debt <= 0:
        return 0
    rows = await session.execute(_UNEXPIRED_FREE, {"member_id": member.id, "now": now})
    repaid = 0
    for step in settlement(member.debt, [view(row) for row in rows]):
        await change_lot(session, step.lot_id, points=-step.points)
        journal.add("settle", member.id, step.lot_id, points=-step.points, debt=-step.points)
        repaid += step.points
    member.debt -= repaid
    return repaid


async def members_in_debt(session: AsyncSession, member_ids: set[str]) -> list[str]:
    """Those of ``member_ids`` who owe points (a partial index keeps the scan to debtors)."""
    return [m for m in (await session.execute(IN_DEBT)).scalars() if m in member_ids]


async def lot_points(session: AsyncSession, points: dict[str, int]) -> list[LotPoints]:
    """Each lot's ``points`` with where the lot came from, as events name them."""
    if not points:
        return []
    query = select(Lot.id, Lot.source, Lot.grant_id, Lot.reference).where(Lot.id.in_(points))
    found = {row.id: row for row in await session.execute(query)}
    return [
        LotPoints(
            lot_id=lot_id,
            points=amount,
            source=found[lot_id].source,
            grant_id=found[lot_id].grant_id,
            reference=found[lot_id].reference,
        )
        for lot_id, amount in points.items()
        if lot_id in found
    ]
