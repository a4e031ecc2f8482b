"""The reconcile sees breaches of the programme's economics, not only of the ledger's sums.

Each test breaks one rule inside a transaction that is never committed and asks the reconcile.
"""

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update

from kit.clock import utcnow
from loyalty.models import JournalEntry, Member, Purchase, RedemptionAllocation
from loyalty.reconcile import breaches
from tests.loyalty.till import Till, lamp


def tv() -> dict[str, Any]:
    return {"sku": "TV", "category": "tv", "quantity": 1, "price": 40_000}


async def test_a_member_owing_points_while_holding_some_is_a_breach(any_till: Till) -> None:
    till = any_till
    member = await till.member()
    await till.grant(member, 10)
    async with till.sessions() as session:
        await session.execute(update(Member).where(Member.id == member).values(debt=5))
        found = await breaches(session)
    assert found["member owes points while holding spendable points"] == [member]


async def test_points_left_on_kept_items_beyond_their_cap_are_a_breach(any_till: Till) -> None:
    till = any_till
    member = await till.member()
    await till.grant(member, 1_000)
    bought = await till.buy(member, lamp(price=10_000, quantity=1), tv(), points="max")
    async with till.sessions() as session:
        purchase = await session.get(Purchase, (bought["txid"], "berlin-01"))
        assert purchase is not None
        # The TV taken back with its points left in place: the lamp kept carries all 100.
        purchase.lines = [purchase.lines[0], {**purchase.lines[1], "returned": 1}]
        found = await breaches(session)
    # A purchase is named by its store and txid.
    assert found["points redeemed on kept items exceed their cap"] == [
        f"berlin-01/{bought['txid']}"
    ]


async def test_a_full_return_that_leaves_accrual_or_redemption_is_a_breach(any_till: Till) -> None:
    till = any_till
    member = await till.member()
    await till.grant(member, 100)
    bought = await till.buy(member, lamp(price=10_000, quantity=2), points=10)
    returned = await till.return_items(bought["txid"], ("LAMP", 2))
    assert returned.status_code == 201, returned.text
    name = "a fully returned purchase left accrual or redemption behind"
    async with till.sessions() as session:
        await session.execute(
            update(RedemptionAllocation)
            .where(RedemptionAllocation.txid == bought["txid"])
            .values(returned=0)
        )
        assert (await breaches(session))[name] == [f"berlin-01/{bought['txid']}"]
    async with till.sessions() as session:
        await session.execute(delete(JournalEntry).where(JournalEntry.kind == "reverse"))
        assert (await breaches(session))[name] == [f"berlin-01/{bought['txid']}"]


async def test_a_stored_spend_that_is_not_the_windows_is_a_breach(any_till: Till) -> None:
    """The till's confirm takes the member's stored spend for the window's sum while the
    member's tier review is not due: the reconcile checks that the two agree."""
    till = any_till
    member = await till.member()
    await till.buy(member, lamp(price=10_000, quantity=1))
    name = "member's stored spend is not their spend in the window"
    async with till.sessions() as session:
        stored = await session.get(Member, member)
        assert stored is not None and stored.trailing_spend == 10_000
        stored.trailing_spend = 9_000
        assert (await breaches(session))[name] == [member]
        stored.tier_review_at = None  # a member no review is due for is checked too
        assert (await breaches(session))[name] == [member]
        # A spend counted for a later moment's window is that window's (a test's sweep ahead).
        stored.spend_counted_at = utcnow() + timedelta(days=1)
        assert name not in await breaches(session)
