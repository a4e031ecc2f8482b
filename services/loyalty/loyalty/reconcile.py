"""`python -m loyalty.reconcile`: checks the ledger's invariants; exit status 1 on a breach.

- 0 <= reserved <= remaining <= initial on every lot;
- the journal sums to every lot's remaining and reserved, and to every member's debt;
- every lot's reserved equals the points of open reservations allocated to it;
- no allocation gives back more than it took; no member owes a negative debt;
- a lot that became spendable after it was created has one activation entry, any other none.
"""

import asyncio
import sys

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import create_engine, session_factory, unit_of_work
from loyalty.settings import LoyaltySettings

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
            FROM allocations JOIN purchases ON purchases.txid = allocations.txid
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


async def breaches(session: AsyncSession) -> dict[str, list[str]]:
    """Each broken invariant with (up to ten of) the ids breaking it."""
    found: dict[str, list[str]] = {}
    for name, query in CHECKS.items():
        ids = [str(row[0]) for row in (await session.execute(text(query + " LIMIT 10"))).all()]
        if ids:
            found[name] = ids
    return found


async def main() -> int:
    engine = create_engine(LoyaltySettings().database_url)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            found = await breaches(session)
    finally:
        await engine.dispose()
    for name, ids in found.items():
        print(f"BREACH {name}: {', '.join(ids)}")
    print("ledger consistent" if not found else f"{len(found)} invariant(s) broken")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
