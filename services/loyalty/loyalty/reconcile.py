"""`python -m loyalty.reconcile`: checks the ledger's invariants; exit status 1 on a breach.

- 0 <= reserved <= remaining <= initial on every lot;
- the journal sums to every lot's remaining and reserved, and to every member's debt;
- every lot's reserved equals the points of open reservations allocated to it;
- no allocation gives back more than it took; no member owes a negative debt;
- a lot that became spendable after it was created has one activation entry, any other none;
- from the moment a member's stored spend was counted until their tier review, it is their
  spend in the tier's window (the till's confirm reads it instead of the sum:
  loyalty/till_driver.py).

And the programme's economics (domain/debt.py, domain/allocation.py, domain/returns.py):
- no member owes points while holding free points in an unexpired lot;
- per purchase, the points still redeemed on the kept items are at most the cap of those items;
- a fully returned purchase leaves no accrual and no redemption behind.
"""

import asyncio
import json
import sys
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from kit.db import UtcDateTime, create_engine, session_factory, unit_of_work
from loyalty import ledger
from loyalty.domain.allocation import line_cap
from loyalty.domain.receipt import Line
from loyalty.domain.rules import ProgramRules
from loyalty.models import Lot, Member
from loyalty.settings import LoyaltySettings
from loyalty.tiering import spend_since

CHECKS = {
    "lot amounts out of bounds": """
        SELECT id FROM lots WHERE NOT (0 <= reserved AND reserved <= remaining
                                        AND remaining <= initial)""",
    "journal does not sum to a lot": """
        SELECT lots.id FROM lots LEFT JOIN (
            SELECT lot_id, SUM(points) AS points, SUM(held) AS held
            FROM journal WHERE lot_id IS NOT NULL GROUP BY lot_id
        ) j ON j.lot_id = lots.id
        WHERE COALESCE(j.points, 0) <> lots.remaining OR COALESCE(j.held, 0) <> lots.reserved""",
    "journal entries for no lot": """
        SELECT DISTINCT journal.lot_id FROM journal LEFT JOIN lots ON lots.id = journal.lot_id
        WHERE journal.lot_id IS NOT NULL AND lots.id IS NULL""",
    "journal does not sum to a member's debt": """
        SELECT members.id FROM members LEFT JOIN (
            SELECT member_id, SUM(debt) AS debt FROM journal GROUP BY member_id
        ) j ON j.member_id = members.id
        WHERE COALESCE(j.debt, 0) <> members.debt OR members.debt < 0""",
    "reserved points without an open reservation": """
        SELECT lots.id FROM lots LEFT JOIN (
            SELECT allocations.lot_id, SUM(allocations.points) AS points
            FROM allocations JOIN purchases
              ON purchases.txid = allocations.txid AND purchases.store_id = allocations.store_id
            WHERE purchases.status = 'reserved' GROUP BY allocations.lot_id
        ) open ON open.lot_id = lots.id
        WHERE COALESCE(open.points, 0) <> lots.reserved""",
    "allocation gave back more than it took": """
        SELECT id FROM allocations WHERE returned < 0 OR returned > points""",
    "activation not journalled exactly once": """
        SELECT lots.id FROM lots LEFT JOIN (
            SELECT lot_id, COUNT(*) AS entries FROM journal WHERE kind = 'activate'
            GROUP BY lot_id
        ) a ON a.lot_id = lots.id
        WHERE COALESCE(a.entries, 0) <> CASE
            WHEN lots.activated_at IS NOT NULL AND lots.active_from > lots.created_at THEN 1
            ELSE 0 END""",
}


DEBT_WITH_FREE_POINTS = (
    select(Member.id)
    .where(Member.debt > 0)
    .where(
        select(Lot.id)
        .where(
            Lot.member_id == Member.id,
            Lot.remaining > Lot.reserved,
            Lot.expires_at >= bindparam("now", type_=UtcDateTime()),
        )
        .exists()
    )
    .limit(10)
)
# Members whose stored spend, counted before now, is not their spend in the window while their
# review is not due.
_NOW = bindparam("now", type_=UtcDateTime())
STORED_SPEND_ASTRAY = (
    select(Member.id)
    .where(
        Member.spend_counted_at <= _NOW,
        or_(Member.tier_review_at.is_(None), Member.tier_review_at >= _NOW),
        Member.trailing_spend != ledger.spend_of(Member.id).scalar_subquery(),
    )
    .limit(10)
)
# Confirmed purchases that redeemed points or had a return, in pages ordered by their key.
PURCHASES_TO_CHECK = text("""
    SELECT txid, store_id, lines, accrued_points FROM purchases p
    WHERE status = 'confirmed'
      AND (txid > :after OR (txid = :after AND store_id > :after_store))
      AND (redeemed_points > 0 OR EXISTS (
          SELECT 1 FROM returns r WHERE r.txid = p.txid AND r.store_id = p.store_id))
    ORDER BY txid, store_id LIMIT :page""")
# Sums per purchase of a page, filtered by txid (the index's lead) and told apart by store.
KEPT_REDEMPTION = text("""
    SELECT txid, store_id, SUM(points - returned) FROM allocations
    WHERE txid IN :txids GROUP BY txid, store_id""").bindparams(bindparam("txids", expanding=True))
# The accrual a purchase's returns took back: from its lot, or as debt.
REVERSED_ACCRUAL = text("""
    SELECT returns.txid, returns.store_id, SUM(journal.debt - journal.points) FROM returns
    JOIN operations ON operations.reference
        = returns.store_id || '/' || returns.txid || '/' || returns.return_id
    JOIN journal ON journal.operation_id = operations.id AND journal.kind = 'reverse'
    WHERE returns.txid IN :txids AND operations.kind = 'return'
    GROUP BY returns.txid, returns.store_id""").bindparams(bindparam("txids", expanding=True))
PAGE = 1_000


async def breaches(
    session: AsyncSession, rules: ProgramRules | None = None, now: datetime | None = None
) -> dict[str, list[str]]:
    """Each broken invariant with (up to ten of) the ids breaking it."""
    found: dict[str, list[str]] = {}
    for name, query in CHECKS.items():
        ids = [str(row[0]) for row in (await session.execute(text(query + " LIMIT 10"))).all()]
        if ids:
            found[name] = ids
    now, rules = now or utcnow(), rules or ProgramRules()
    in_debt = await session.execute(DEBT_WITH_FREE_POINTS, {"now": now})
    if ids := [str(member_id) for member_id in in_debt.scalars()]:
        found["member owes points while holding spendable points"] = ids
    # The window's spend with no purchase left out: none has an empty txid.
    window = {"now": now, "since": spend_since(rules, now), "excluding": "", "excluding_store": ""}
    astray = await session.execute(STORED_SPEND_ASTRAY, window)
    if ids := [str(member_id) for member_id in astray.scalars()]:
        found["member's stored spend is not their spend in the window"] = ids
    for name, txids in (await _purchase_breaches(session, rules)).items():
        found[name] = txids[:10]
    return found


async def _purchase_breaches(session: AsyncSession, rules: ProgramRules) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    params: dict[str, Any] = {"after": "", "after_store": "", "page": PAGE}
    while rows := (await session.execute(PURCHASES_TO_CHECK, params)).all():
        txids = sorted({row.txid for row in rows})
        kept = await _sums(session, KEPT_REDEMPTION, txids)
        reversed_ = await _sums(session, REVERSED_ACCRUAL, txids)
        for row in rows:
            key = (row.store_id, row.txid)
            for name in _purchase_faults(
                rules,
                _decoded(row.lines),
                row.accrued_points,
                kept.get(key, 0),
                reversed_.get(key, 0),
            ):
                found.setdefault(name, []).append(f"{row.store_id}/{row.txid}")
        params |= {"after": rows[-1].txid, "after_store": rows[-1].store_id}
    return found


def _purchase_faults(
    rules: ProgramRules, lines: list[dict[str, Any]], accrued: int, kept: int, reversed_: int
) -> list[str]:
    faults = []
    if kept > sum(_kept_cap(rules, line) for line in lines):
        faults.append("points redeemed on kept items exceed their cap")
    if all(line["returned"] == line["quantity"] for line in lines) and (
        kept or reversed_ != accrued
    ):
        faults.append("a fully returned purchase left accrual or redemption behind")
    return faults


def _kept_cap(rules: ProgramRules, line: dict[str, Any]) -> int:
    kept = Line(
        line["sku"],
        line["quantity"] - line["returned"],
        line["price"],
        no_redeem=line.get("no_redeem", False),
    )
    return line_cap(kept, rules)


async def _sums(session: AsyncSession, query: Any, txids: list[str]) -> dict[tuple[str, str], int]:
    """Per (store, txid)."""
    rows = await session.execute(query, {"txids": txids})
    return {(str(store), str(txid)): int(total or 0) for txid, store, total in rows.all()}


def _decoded(lines: Any) -> list[dict[str, Any]]:
    return list(json.loads(lines) if isinstance(lines, str) else lines)


async def main() -> int:
    settings = LoyaltySettings()
    engine = create_engine(settings.database_url)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            found = await breaches(session, settings.program_rules())
    finally:
        await engine.dispose()
    for name, ids in found.items():
        print(f"BREACH {name}: {', '.join(ids)}")
    print("ledger consistent" if not found else f"{len(found)} invariant(s) broken")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
