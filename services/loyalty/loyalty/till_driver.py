"""A reservation and a confirm on PostgreSQL, sent on asyncpg's connection (kit.driver).

The same statements, rules and answers as loyalty.purchases, whose ORM session costs the till
more CPU than its statements do: the session, the result objects and a greenlet per statement
(docs/loyalty.md, "The till's hot path"). Each step here is two exchanges with PostgreSQL: one
read, one snapshot of all the step decides on, and one write, the step's checked statement
(loyalty.till_writes), with no transaction block around them. No lock is held while Python
decides: the write locks the member and writes only if what was read still holds, so a
step that lost a race to another writes nothing. This path takes the usual step and only that:

- a reservation whose member has no lapsed reservation to release and whose txid is new at
  the store;
- a confirm of a purchase reserved and still alive (or confirmed already, which replays the
  first answer) whose member's tier review is not due and whose spend was counted before now
  (``spend_counted_at``). From then until the review the member's stored spend is the sum of
  the window's purchases (the reconcile checks it), so the read takes the stored spend
  instead of summing the member's purchases, a cost that grew with each purchase, and the
  write's check of the stored spend is a check of the sum. A new tier the purchase earns is
  set by the write, which writes its event too, before the purchase's.

Anything else, and a step whose write found the ledger changed since its read, is left to
loyalty.purchases, which takes the step from the start under the member's lock (``None``): a
retry of a txid, lapsed reservations, and an ``Idempotency-Key``, which the routes send there
directly. The till's tests run this path on PostgreSQL and the session's on SQLite
(``any_till``); on PostgreSQL the rare steps take the session's path too.
"""

from typing import Any

from sqlalchemy import bindparam, select, true
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.elements import ColumnElement

from kit.clock import utcnow
from kit.driver import DriverStatement, driver_statements
from loyalty import ledger, purchases, till_writes
from loyalty.domain.rules import ProgramRules
from loyalty.errors import MemberNotFound, PurchaseNotFound, TxidAmbiguous
from loyalty.idempotency import fingerprint
from loyalty.ledger import CAPTURED, PURCHASES, captured, captured_lots
from loyalty.models import Member, Purchase
from loyalty.purchase_schemas import ConfirmationOut, ReservationOut, ReserveRequest, StepRequest
from loyalty.tiering import apply_confirmed
from loyalty.till_writes import MEMBERS

# A reservation's read: the member's tier and spendable lots, and whether to look closer.
READ_TO_RESERVE = DriverStatement(ledger.LOTS_TO_RESERVE.add_columns(MEMBERS.c.tier))
# A confirm's read: the member and the purchase, the member's spend in the window without
# it (the stored spend: the purchase is not confirmed yet), and what the reservation holds per
# lot (one row a lot, or one row if none).
_MEMBER = ("id", *till_writes.MEMBER_COLUMNS)
_PURCHASE = (*till_writes.NEW_PURCHASE_COLUMNS, "accrual_lot_id", "confirmed_at")


def _read_to_confirm(store: ColumnElement[str] | None) -> DriverStatement:
    """At ``store``; with None, at every store holding the txid, each purchase with its own
    capture, so that one read also tells an ambiguous txid (two stores) from a known one."""
    txid = PURCHASES.c.txid == bindparam("txid")
    held: FromClause
    order: list[ColumnElement[Any]]
    if store is None:
        held = captured(captured_lots(PURCHASES.c.txid, PURCHASES.c.store_id)).lateral()
        where, order = txid, [PURCHASES.c.store_id, held.c.first]
    else:
        held = CAPTURED
        where, order = txid & (PURCHASES.c.store_id == store), [held.c.first]
    return DriverStatement(
        select(
            *(MEMBERS.c[c].label(f"member_{c}") for c in _MEMBER),
            *(PURCHASES.c[c].label(f"purchase_{c}") for c in _PURCHASE),
            MEMBERS.c.trailing_spend.label("spend"),
            held,
        )
        .select_from(
            MEMBERS.join(PURCHASES, PURCHASES.c.member_id == MEMBERS.c.id).outerjoin(held, true())
        )
        .where(where)
        .order_by(*order)
    )


READ_TO_CONFIRM = _read_to_confirm(bindparam("store"))
# A till that names no store (and whose key is bound to none): the purchase at whichever store
# holds the txid, in the same one read.
READ_TO_CONFIRM_AT_ANY_STORE = _read_to_confirm(None)
RESERVATION = DriverStatement(till_writes.RESERVATION)
CONFIRMATION = DriverStatement(till_writes.CONFIRMATION)


async def reserve(
    engine: AsyncEngine, rules: ProgramRules, body: ReserveRequest
) -> ReservationOut | None:
    """loyalty.purchases.reserve without an Idempotency-Key; None: take that path instead."""
    now, print_ = utcnow(), fingerprint("reserve", body)
    params = {"member_id": body.customer_id, "store_id": body.store_id, "txid": body.txid}
    async with driver_statements(engine) as db:
        rows = await db.fetch(READ_TO_RESERVE, {**params, "now": now})
        if not rows:
            raise MemberNotFound()
        if rows[0]["look"]:
            return None
        lots = [ledger.lot_view(row) for row in rows if row["id"] is not None]
        answer, reservation = purchases.reservation_of(
            rules, body, body.customer_id, rows[0]["tier"], lots, print_, now
        )
        written = await db.fetchrow(RESERVATION, till_writes.reservation_params(reservation))
    assert written is not None  # the statement answers one row
    return answer if till_writes.reserved(reservation, written).written else None


async def confirm(
    engine: AsyncEngine, rules: ProgramRules, txid: str, store_id: str | None, body: StepRequest
) -> ConfirmationOut | None:
    """loyalty.purchases.confirm without an Idempotency-Key; None: take that path instead."""
    now, print_ = utcnow(), fingerprint("confirm", txid, body)
    async with driver_statements(engine) as db:
        if store_id is None:
            rows = await db.fetch(READ_TO_CONFIRM_AT_ANY_STORE, {"txid": txid})
            if len({row["purchase_store_id"] for row in rows}) > 1:
                raise TxidAmbiguous()
        else:
            rows = await db.fetch(READ_TO_CONFIRM, {"txid": txid, "store": store_id})
        if not rows:
            raise PurchaseNotFound()
        member = Member(**_columns(rows[0], "member_", _MEMBER))
        purchase = Purchase(**_columns(rows[0], "purchase_", _PURCHASE))
        if purchase.status == "confirmed":
            return purchases.replayed_confirmation(purchase, print_)
        purchases.still_reserved(purchase, now)
        if member.tier_review_at is not None and member.tier_review_at < now:
            return None  # the stored spend may still count a purchase that left the window
        if member.spend_counted_at is None or member.spend_counted_at > now:
            return None  # counted for another window than this moment's: the sum is taken
        was, expires_at = till_writes.as_read(member), purchases.lot_expiry(rules, member, now)
        capture = ledger.capture_of(rows)
        announced = apply_confirmed(rules, member, now, purchase, capture.spend)
        answer, writes = purchases.confirmation_of(
            rules, member, was, purchase, capture, expires_at, print_, now, announced
        )
        written = await db.fetchrow(CONFIRMATION, till_writes.confirmation_params(writes))
    assert written is not None  # the statement answers one row
    return answer if written["confirmed"] == 1 else None


def _columns(row: ledger.Columns, prefix: str, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: row[f"{prefix}{name}"] for name in names}
