"""A reservation and a confirm on PostgreSQL, sent on asyncpg's connection (kit.driver).

The same statements, rules and answers as loyalty.purchases, whose ORM session costs the till
more CPU than its statements do: the session, the result objects and a greenlet per statement
(docs/loyalty.md, "The till's hot path"). This path takes the usual step and only that:

- a reservation whose member has no lapsed reservation to release and whose txid is new at
  the store;
- a confirm of a purchase reserved and still alive (or confirmed already, which replays the
  first answer) that leaves the member's tier as it was.

Anything else is rolled back, nothing written, and loyalty.purchases takes the step from the
start (``None``): a retry of a txid, lapsed reservations, a tier that changes (it announces the
new tier), and an ``Idempotency-Key``, which the routes send there directly. The till's tests
run this path on PostgreSQL and the session's on SQLite (``any_till``); on PostgreSQL the rare
steps take the session's path too.
"""

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine

from kit.clock import utcnow
from kit.driver import DriverStatement, driver_transaction
from loyalty import ledger, purchases, till_writes
from loyalty.domain.rules import ProgramRules
from loyalty.errors import MemberNotFound, PurchaseNotFound, TxidAmbiguous
from loyalty.idempotency import fingerprint
from loyalty.ledger import PURCHASES
from loyalty.models import Member, Purchase
from loyalty.purchase_schemas import ConfirmationOut, ReservationOut, ReserveRequest, StepRequest
from loyalty.tiering import apply_confirmed, spend_since
from loyalty.till_writes import MEMBERS

# What a confirm reads of the member and of the purchase (and writes back: till_writes).
_MEMBER = ("id", "tier", "trailing_spend", "debt", "tier_review_at")
_PURCHASE = (*till_writes.NEW_PURCHASE_COLUMNS, "accrual_lot_id", "confirmed_at")
LOCK_MEMBER = DriverStatement(
    select(MEMBERS.c.id, MEMBERS.c.tier)
    .where(MEMBERS.c.id == bindparam("member_id"))
    .with_for_update()
)
# Both rows locked, as ledger.lock_member_with_purchase locks them.
_MEMBER_AND_PURCHASE = (
    select(
        *(MEMBERS.c[c].label(f"member_{c}") for c in _MEMBER),
        *(PURCHASES.c[c].label(f"purchase_{c}") for c in _PURCHASE),
    )
    .join_from(MEMBERS, PURCHASES, PURCHASES.c.member_id == MEMBERS.c.id)
    .where(PURCHASES.c.txid == bindparam("txid"))
    .with_for_update(of=[MEMBERS, PURCHASES])
)
LOCK_MEMBER_AND_PURCHASE = DriverStatement(
    _MEMBER_AND_PURCHASE.where(PURCHASES.c.store_id == bindparam("store_id"))
)
# Without a store, every purchase under the txid (ledger.lock_purchases_of_txid): two are
# ambiguous.
LOCK_MEMBERS_AND_PURCHASES_OF_TXID = DriverStatement(
    _MEMBER_AND_PURCHASE.order_by(PURCHASES.c.store_id).limit(2)
)
LOTS_TO_RESERVE = DriverStatement(ledger.LOTS_TO_RESERVE)
RESERVATION = DriverStatement(till_writes.RESERVATION)
CAPTURE_AND_EXTEND = DriverStatement(ledger.CAPTURE_AND_EXTEND_PG)
CONFIRMATION = DriverStatement(till_writes.CONFIRMATION)


class _Elsewhere(Exception):
    """Not the usual step: rolled back, for loyalty.purchases to take."""


async def reserve(
    engine: AsyncEngine, rules: ProgramRules, body: ReserveRequest
) -> ReservationOut | None:
    """loyalty.purchases.reserve without an Idempotency-Key; None: take that path instead."""
    now, print_ = utcnow(), fingerprint("reserve", body)
    try:
        async with driver_transaction(engine) as db:
            member = await db.fetchrow(LOCK_MEMBER, {"member_id": body.customer_id})
            if member is None:
                raise MemberNotFound()
            params = {"member_id": member["id"], "store_id": body.store_id, "txid": body.txid}
            rows = await db.fetch(LOTS_TO_RESERVE, {**params, "now": now})
            if rows[0]["look"]:
                raise _Elsewhere()
            lots = [ledger.lot_view(row) for row in rows if row["id"] is not None]
            answer, reservation = purchases.reservation_of(
                rules, body, member["id"], member["tier"], lots, print_, now
            )
            written = await db.fetchrow(RESERVATION, till_writes.reservation_params(reservation))
            assert written is not None  # the statement answers one row
            purchases.check_reserved(till_writes.reserved(reservation, written))
    except _Elsewhere:
        return None
    return answer


async def confirm(
    engine: AsyncEngine, rules: ProgramRules, txid: str, store_id: str | None, body: StepRequest
) -> ConfirmationOut | None:
    """loyalty.purchases.confirm without an Idempotency-Key; None: take that path instead."""
    now, print_ = utcnow(), fingerprint("confirm", txid, body)
    try:
        async with driver_transaction(engine) as db:
            if store_id is None:
                rows = await db.fetch(LOCK_MEMBERS_AND_PURCHASES_OF_TXID, {"txid": txid})
                if len(rows) > 1:
                    raise TxidAmbiguous()
            else:
                params = {"txid": txid, "store_id": store_id}
                rows = await db.fetch(LOCK_MEMBER_AND_PURCHASE, params)
            if not rows:
                raise PurchaseNotFound()
            found = rows[0]
            member = Member(**_columns(found, "member_", _MEMBER))
            purchase = Purchase(**_columns(found, "purchase_", _PURCHASE))
            if purchase.status == "confirmed":
                return purchases.replayed_confirmation(purchase, print_)
            purchases.still_reserved(purchase, now)
            expires_at = purchases.lot_expiry(rules, member, now)
            since = spend_since(rules, now)
            reads = ledger.capture_params(purchase, since, expires_at, now)
            capture = ledger.capture_of(await db.fetch(CAPTURE_AND_EXTEND, reads))
            if apply_confirmed(rules, member, now, purchase, capture.spend) is not None:
                raise _Elsewhere()  # a new tier: its event is written by the session's path
            answer, writes = purchases.confirmation_of(
                rules, member, purchase, capture, expires_at, print_, now
            )
            await db.fetch(CONFIRMATION, till_writes.confirmation_params(writes))
    except _Elsewhere:
        return None
    return answer


def _columns(row: ledger.Columns, prefix: str, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: row[f"{prefix}{name}"] for name in names}
