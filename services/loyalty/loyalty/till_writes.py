"""The last writes of a reservation and of a confirm, sent to PostgreSQL as one statement.

A reservation ends by holding its points on their lots, recording which lot pays which line,
journalling the holds and claiming its txid. A confirm ends by capturing the held points,
extending the member's purchase lots and writing the member's and the purchase's changes, the
accrual lot, the journal and the event. Each is one statement of data-modifying CTEs, built
once here with every value a parameter, so SQLAlchemy compiles it once and asyncpg prepares it
once per connection. At the till a round trip to PostgreSQL costs both sides more CPU than the
rows most statements write (docs/loyalty.md, "The till's hot path").

Each statement checks what its step was decided on, so that it is right whether or not the
member was locked when the step read: it first locks the member's row, as every
balance-changing operation does, and only if the member is still as read (the reservation's
tier; the confirm's tier, spend, debt and review); then the reservation's lots, each still
free and alive, or the confirm's purchase, still reserved. If a check fails the statement
writes nothing and says so. loyalty.till_driver reads in one statement and writes in this
one, with no transaction block and no lock held between the two; loyalty.purchases runs the
same statement under the lock it took, where the checks always pass. SQLite has no
data-modifying CTEs: it runs the same writes one by one, under its database lock.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import BigInteger, Integer, String, Table, bindparam, inspect, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import BindParameter

from kit.db import UtcDateTime
from kit.events import Event
from loyalty import ledger
from loyalty.domain.allocation import Allocation
from loyalty.errors import LedgerBusy
from loyalty.ledger import JOURNAL_PARAMS, LOTS, PURCHASES, Journal, journal_ctes
from loyalty.models import Lot, Member, Purchase, outbox


def _typed(table: Table, prefix: str, columns: Iterable[str]) -> list[BindParameter[Any]]:
    return [bindparam(f"{prefix}{c}", type_=table.c[c].type) for c in columns]


def _values(prefix: str, columns: Iterable[str]) -> str:
    return ", ".join(f":{prefix}{c}" for c in columns)


def _prefixed(prefix: str, row: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}{key}": value for key, value in row.items()}


# --- A reservation's writes ---------------------------------------------------------------

# The columns a new reservation sets (loyalty.purchases builds the row).
NEW_PURCHASE_COLUMNS = (
    "txid",
    "store_id",
    "member_id",
    "status",
    "channel",
    "city",
    "lines",
    "total_amount",
    "redeemed_points",
    "accrued_points",
    "paid_amount",
    "refunded_amount",
    "fingerprints",
    "answers",
    "reserved_until",
    "created_at",
)
# The points a step holds on, or captures from, the lot of the row at hand: the arrays'
# element at the lot's place in the ids. A lot's rows are found by `id = ANY(…)` (the primary
# key) rather than joined to the unnested arrays, whose row count the planner cannot know.
_HOLDING = "(:hold_points)[array_position(:hold_lot_ids, lots.id)]"
RESERVATION = text(
    "WITH member AS (SELECT 1 FROM members WHERE id = :purchase_member_id"
    " AND tier = :member_tier FOR UPDATE),"
    # The lots to hold, locked in one order, each still free and alive.
    " free AS (SELECT lots.id FROM lots WHERE lots.id = ANY(:hold_lot_ids)"
    f" AND lots.remaining - lots.reserved >= {_HOLDING} AND lots.expires_at >= :now"
    " AND EXISTS (SELECT FROM member) ORDER BY lots.id FOR UPDATE),"
    # Nothing is claimed when another purchase holds the txid at this store already.
    f" claimed AS (INSERT INTO purchases ({', '.join(NEW_PURCHASE_COLUMNS)})"
    f" SELECT {_values('purchase_', NEW_PURCHASE_COLUMNS)}"
    " WHERE (SELECT count(*) FROM free) = cardinality(:hold_lot_ids)"
    " AND EXISTS (SELECT FROM member) ON CONFLICT DO NOTHING RETURNING 1),"
    f" held AS (UPDATE lots SET reserved = lots.reserved + {_HOLDING}"
    " WHERE lots.id = ANY(:hold_lot_ids) AND EXISTS (SELECT FROM claimed)),"
    " allocated AS (INSERT INTO allocations (txid, store_id, lot_id, line_no, points, returned)"
    " SELECT :purchase_txid, :purchase_store_id, a.lot_id, a.line_no, a.points, 0"
    " FROM unnest(:allocation_lot_ids, :allocation_line_nos, :allocation_points)"
    " WITH ORDINALITY AS a(lot_id, line_no, points, n) WHERE EXISTS (SELECT FROM claimed)"
    " ORDER BY a.n),"
    f" {journal_ctes('claimed')}"
    " SELECT (SELECT count(*) FROM member) AS member, (SELECT count(*) FROM free) AS free,"
    " (SELECT count(*) FROM claimed) AS claimed"
).bindparams(
    bindparam("member_tier", type_=String()),
    bindparam("hold_lot_ids", type_=postgresql.ARRAY(String(36))),
    bindparam("hold_points", type_=postgresql.ARRAY(BigInteger())),
    bindparam("now", type_=UtcDateTime()),
    bindparam("allocation_lot_ids", type_=postgresql.ARRAY(String(36))),
    bindparam("allocation_line_nos", type_=postgresql.ARRAY(Integer())),
    bindparam("allocation_points", type_=postgresql.ARRAY(BigInteger())),
    *JOURNAL_PARAMS,
    *_typed(PURCHASES, "purchase_", NEW_PURCHASE_COLUMNS),
)


@dataclass(frozen=True)
class Reservation:
    """What a reservation writes once its quote is made."""

    holds: dict[str, int]  # points held per lot
    allocations: Sequence[Allocation]  # which lot pays which line
    journal: Journal
    purchase: dict[str, Any]  # the new purchase's row
    tier: str  # the member's tier, which the quote was made with
    now: datetime

    def __post_init__(self) -> None:
        if set(self.purchase) != set(NEW_PURCHASE_COLUMNS):
            given = sorted(self.purchase)
            raise ValueError(f"a new purchase sets {NEW_PURCHASE_COLUMNS}, not {given}")


@dataclass(frozen=True)
class Reserved:
    member_as_read: bool  # False: the member is gone, or their tier changed since it was read
    all_held: bool  # False: a lot's points were taken or expired since they were read
    claimed: bool  # False: another purchase at this store holds the txid

    @property
    def written(self) -> bool:
        return self.member_as_read and self.all_held and self.claimed


async def reserve(session: AsyncSession, reservation: Reservation) -> Reserved:
    """Holds the points, records the allocations, writes the journal and claims the purchase's
    txid. Whatever it returns, the caller raises (and so rolls back) unless both are true."""
    if not ledger.on_postgresql(session):
        return await _reserve_one_by_one(session, reservation)
    row = (await session.execute(RESERVATION, reservation_params(reservation))).one()
    return reserved(reservation, row._mapping)


def reservation_params(reservation: Reservation) -> dict[str, Any]:
    """The values of RESERVATION; the journal's entries are written by it."""
    holds, allocations = reservation.holds, reservation.allocations
    params = {
        "member_tier": reservation.tier,
        "hold_lot_ids": list(holds),
        "hold_points": list(holds.values()),
        "now": reservation.now,
        "allocation_lot_ids": [a.lot_id for a in allocations],
        "allocation_line_nos": [a.line_no for a in allocations],
        "allocation_points": [a.points for a in allocations],
        **reservation.journal.params(),
        **_prefixed("purchase_", reservation.purchase),
    }
    reservation.journal.entries.clear()
    return params


def reserved(reservation: Reservation, row: ledger.Columns) -> Reserved:
    """What RESERVATION's answer says of the reservation."""
    return Reserved(
        member_as_read=row["member"] == 1,
        all_held=row["free"] == len(reservation.holds),
        claimed=row["claimed"] == 1,
    )


async def _reserve_one_by_one(session: AsyncSession, reservation: Reservation) -> Reserved:
    purchase = reservation.purchase
    for lot_id, points in reservation.holds.items():
        if not await ledger.hold(session, lot_id, points, reservation.now):
            return Reserved(member_as_read=True, all_held=False, claimed=False)
    rows = [
        {
            "txid": purchase["txid"],
            "store_id": purchase["store_id"],
            "lot_id": a.lot_id,
            "line_no": a.line_no,
            "points": a.points,
            "returned": 0,
        }
        for a in reservation.allocations
    ]
    if rows:
        await session.execute(ledger.NEW_ALLOCATION, rows)
    await reservation.journal.write(session)
    claimed = await ledger.insert_purchase(session, purchase)
    return Reserved(member_as_read=True, all_held=True, claimed=claimed)


# --- A confirm's writes -------------------------------------------------------------------

# What a confirm changes of the member (its tier, its spend and when that was counted, its debt
# and its review) and of the purchase.
MEMBER_COLUMNS = ("tier", "trailing_spend", "debt", "tier_review_at", "spend_counted_at")
CONFIRMED_COLUMNS = ("status", "confirmed_at", "accrual_lot_id", "fingerprints", "answers")
# The columns ledger.new_lot sets for a purchase's accrual.
LOT_COLUMNS = (
    "id",
    "member_id",
    "source",
    "reference",
    "initial",
    "remaining",
    "reserved",
    "active_from",
    "expires_at",
    "created_at",
    "activated_at",
)
MEMBERS = cast(Table, Member.__table__)
EVENT_COLUMNS = ("event_id", "subject", "data", "created_at")
_EVENTS = ", ".join(EVENT_COLUMNS)


def _assignments(prefix: str, columns: Iterable[str]) -> str:
    return ", ".join(f"{c} = :{prefix}{c}" for c in columns)


# A lot the confirm captures from, or a purchase lot of the member's that it extends: one that
# keeps points after the capture, alive and due to expire before the new purchase's lots do
# (ledger.EXTEND_PURCHASE_LOTS on SQLite). Its columns are read as they are when it is written.
_CAPTURING = "coalesce((:capture_points)[array_position(:capture_lot_ids, lots.id)], 0)"
_EXTENDS = (
    f"lots.source = 'purchase' AND lots.remaining - {_CAPTURING} > 0"
    " AND lots.expires_at >= :now AND lots.expires_at < :until"
)
CONFIRMATION = text(
    "WITH member AS (SELECT 1 FROM members WHERE id = :member_id AND tier = :was_tier"
    " AND trailing_spend = :was_trailing_spend AND debt = :was_debt"
    " AND tier_review_at IS NOT DISTINCT FROM :was_tier_review_at"
    " AND spend_counted_at IS NOT DISTINCT FROM :was_spend_counted_at FOR UPDATE),"
    f" purchase AS (UPDATE purchases SET {_assignments('purchase_', CONFIRMED_COLUMNS)}"
    " WHERE txid = :purchase_txid AND store_id = :purchase_store_id AND status = 'reserved'"
    " AND EXISTS (SELECT FROM member) RETURNING 1),"
    f" member_written AS (UPDATE members SET {_assignments('member_', MEMBER_COLUMNS)}"
    " WHERE id = :member_id AND EXISTS (SELECT FROM purchase)),"
    # One UPDATE of the lots: a lot may be captured from and extended at once, and a statement
    # writes a row once.
    f" lots_written AS (UPDATE lots SET remaining = lots.remaining - {_CAPTURING},"
    f" reserved = lots.reserved - {_CAPTURING},"
    f" expires_at = CASE WHEN {_EXTENDS} THEN :until ELSE lots.expires_at END,"
    f" expiring_notified_at = CASE WHEN {_EXTENDS} THEN NULL ELSE lots.expiring_notified_at END"
    " WHERE (lots.id = ANY(:capture_lot_ids) OR (lots.member_id = :member_id"
    " AND lots.source = 'purchase' AND lots.expires_at >= :now AND lots.expires_at < :until))"
    f" AND ({_CAPTURING} > 0 OR {_EXTENDS}) AND EXISTS (SELECT FROM purchase)),"
    # No lot (nothing accrued): every lot_ parameter is null and nothing is inserted.
    f" lot AS (INSERT INTO lots ({', '.join(LOT_COLUMNS)})"
    f" SELECT {_values('lot_', LOT_COLUMNS)}"
    " WHERE :lot_id IS NOT NULL AND EXISTS (SELECT FROM purchase)),"
    f" {journal_ctes('purchase')},"
    # The events: a new tier's, if the confirm earns one (every announced_ parameter is null
    # if not), then the purchase's, in that order, as the session's path writes them.
    f" events AS (INSERT INTO outbox ({_EVENTS})"
    f" SELECT {_EVENTS} FROM (VALUES ({_values('announced_', EVENT_COLUMNS)}, 1),"
    f" ({_values('event_', EVENT_COLUMNS)}, 2)) AS written ({_EVENTS}, turn)"
    " WHERE event_id IS NOT NULL AND EXISTS (SELECT FROM purchase) ORDER BY turn)"
    " SELECT (SELECT count(*) FROM purchase) AS confirmed"
).bindparams(
    bindparam("capture_lot_ids", type_=postgresql.ARRAY(String(36))),
    bindparam("capture_points", type_=postgresql.ARRAY(BigInteger())),
    bindparam("now", type_=UtcDateTime()),
    bindparam("until", type_=UtcDateTime()),
    *_typed(MEMBERS, "member_", ("id", *MEMBER_COLUMNS)),
    *_typed(MEMBERS, "was_", MEMBER_COLUMNS),
    *_typed(PURCHASES, "purchase_", ("txid", "store_id", *CONFIRMED_COLUMNS)),
    *_typed(LOTS, "lot_", LOT_COLUMNS),
    *JOURNAL_PARAMS,
    *_typed(outbox.table, "announced_", EVENT_COLUMNS),
    *_typed(outbox.table, "event_", EVENT_COLUMNS),
)


def as_read(member: Member) -> dict[str, Any]:
    """The member's columns a confirm changes, as they are before it changes them."""
    return {column: getattr(member, column) for column in MEMBER_COLUMNS}


def as_stored(member: Member) -> dict[str, Any]:
    """The loaded member's columns a confirm changes, as its session last read or wrote them:
    a change not yet flushed is left out, a flushed one counts."""
    stored = inspect(member).committed_state
    return {column: stored.get(column, getattr(member, column)) for column in MEMBER_COLUMNS}


@dataclass(frozen=True)
class Confirmation:
    """What a confirm writes once its answer is made."""

    member: Member
    # The member's MEMBER_COLUMNS as last read or stored: as_read on the driver, as_stored on the
    # session's path (where a new tier's event may already have flushed the member).
    was: dict[str, Any]
    purchase: Purchase
    captured: dict[str, int]  # the points captured, per lot
    lot: Lot | None  # the purchase's accrual, if it accrued
    journal: Journal
    event: Event
    until: datetime  # the member's purchase lots that keep points live on until then
    now: datetime
    # The member's new tier's event, written before ``event``: the driver's (the session's
    # path has written it already, as it set the tier).
    announced: Event | None = None


async def confirm(session: AsyncSession, confirmation: Confirmation) -> None:
    """Captures the held points, extends the member's purchase lots, writes the member's and
    the purchase's columns a confirm changes, the accrual lot, the journal and the event, on
    the locked member. Any other change to member or purchase is left to the ORM's flush."""
    if not ledger.on_postgresql(session):
        purchase, until, now = confirmation.purchase, confirmation.until, confirmation.now
        await session.execute(
            ledger.EXTEND_PURCHASE_LOTS, ledger.extension_params(purchase, until, now)
        )
        for lot_id, points in confirmation.captured.items():
            await ledger.change_lot(session, lot_id, points=-points, held=-points)
        if confirmation.lot is not None:  # the ORM's flush writes member and purchase
            await ledger.insert_lot(session, confirmation.lot)
        await confirmation.journal.write(session)
        if confirmation.announced is not None:
            await outbox.add(session, confirmation.announced)
        await outbox.add(session, confirmation.event)
        return
    written = await session.execute(CONFIRMATION, confirmation_params(confirmation))
    if written.scalar_one() != 1:  # under the member's lock the checks hold
        raise LedgerBusy()


def confirmation_params(confirmation: Confirmation) -> dict[str, Any]:
    """The values of CONFIRMATION; the journal's entries are written by it."""
    captured, lot, journal = confirmation.captured, confirmation.lot, confirmation.journal
    params = {
        "capture_lot_ids": list(captured),
        "capture_points": list(captured.values()),
        "now": confirmation.now,
        "until": confirmation.until,
        **_carried(confirmation.member, "member_", ("id", *MEMBER_COLUMNS)),
        **_prefixed("was_", confirmation.was),
        **_carried(confirmation.purchase, "purchase_", ("txid", "store_id", *CONFIRMED_COLUMNS)),
        **{f"lot_{c}": getattr(lot, c) if lot is not None else None for c in LOT_COLUMNS},
        **journal.params(),
        **_prefixed("announced_", _event_row(confirmation.announced)),
        **_prefixed("event_", outbox.row(confirmation.event)),
    }
    journal.entries.clear()
    return params


def _event_row(event: Event | None) -> dict[str, Any]:
    return outbox.row(event) if event is not None else dict.fromkeys(EVENT_COLUMNS)


def _carried(instance: Member | Purchase, prefix: str, columns: Iterable[str]) -> dict[str, Any]:
    """The values the statement writes, marked as written so that the ORM's flush skips them
    (and flushes only changes to other columns, if any)."""
    values = {}
    for column in columns:
        values[f"{prefix}{column}"] = value = getattr(instance, column)
        set_committed_value(instance, column, value)
    return values
