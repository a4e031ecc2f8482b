"""The programme's economics through the API: debt against credits, the cap after partial
returns, and the most points a receipt can take under restrictions (SQLite and PostgreSQL)."""

from typing import Any

from kit.clock import utcnow
from kit.db import unit_of_work
from loyalty.ledger import Journal
from loyalty.models import Member
from tests.loyalty.till import Till, lamp, sofa


def tv(price: int = 40_000) -> dict[str, Any]:
    return {"sku": "TV", "category": "tv", "quantity": 1, "price": price}


async def test_restored_points_settle_open_debt_first(any_till: Till) -> None:
    till = any_till
    member = await till.member()
    first = await till.buy(member, sofa(price=100_000))
    assert first["accrued"] == 50
    second = await till.buy(member, lamp(price=20_000, quantity=1), points=40)
    assert (second["redeemed"], second["accrued"]) == (40, 11)  # silver by now: 7 % of 160.00
    back = (await till.return_items(first["txid"], ("SOFA", 1))).json()
    assert (back["reversed_points"], back["debt_points"], back["debt_repaid"]) == (50, 40, 11)
    assert ((b := await till.balance(member))["debt"], b["available"]) == (29, 0)
    again = (await till.return_items(second["txid"], ("LAMP", 1))).json()
    assert (again["restored_points"], again["reversed_points"]) == (40, 11)
    balance = await till.balance(member)
    assert (balance["debt"], balance["available"], balance["pending"]) == (0, 0, 0)
    quote = await till.calculate(member, sofa(), points="max")
    assert quote["redeemed"] == 0  # nothing left to spend: the debt took the restored points


async def test_a_released_reservation_settles_a_debt_that_arose_meanwhile(till: Till) -> None:
    member = await till.member()
    bought = await till.buy(member, sofa(price=100_000))
    held = await till.reserve(member, sofa(price=100_000), points=50)
    assert held.status_code == 201, held.text
    back = (await till.return_items(bought["txid"], ("SOFA", 1))).json()
    assert back["debt_points"] == 50  # all 50 are held by the open reservation
    cancelled = await till.cancel(held.json()["txid"])
    assert cancelled.json()["released_points"] == 50
    balance = await till.balance(member)
    assert (balance["debt"], balance["available"]) == (0, 0)


async def test_each_line_takes_only_its_own_fifth_so_a_partial_return_keeps_the_cap(
    any_till: Till,
) -> None:
    till = any_till
    member = await till.member()
    await till.grant(member, 1_000)
    lamp_and_tv = (lamp(price=10_000, quantity=1), tv())
    quote = await till.calculate(member, *lamp_and_tv, points="max")
    assert [line["redeemed"] for line in quote["lines"]] == [20, 80]
    assert [line["max_redeemable"] for line in quote["lines"]] == [20, 80]
    bought = await till.buy(member, *lamp_and_tv, points="max")
    returned = (await till.return_items(bought["txid"], ("TV", 1))).json()
    assert (returned["refunded_amount"], returned["restored_points"]) == (32_000, 80)
    # The lamp kept is paid 80 % with money, as the cap says.
    assert (await till.balance(member))["available"] == 1_000 - 20 + bought["accrued"] - 16


async def test_restoring_rounds_up_so_kept_items_stay_within_their_cap(any_till: Till) -> None:
    till = any_till
    member = await till.member()
    await till.grant(member, 100)
    bought = await till.buy(member, lamp(price=250, quantity=2), points="max")
    assert bought["redeemed"] == 1  # a fifth of 5.00
    first = (await till.return_items(bought["txid"], ("LAMP", 1))).json()
    assert first["restored_points"] == 1  # 2.50 kept: a fifth is less than a point
    second = (await till.return_items(bought["txid"], ("LAMP", 1))).json()
    assert second["restored_points"] == 0
    assert first["refunded_amount"] + second["refunded_amount"] == 500 - 100


async def test_the_quote_finds_the_most_points_restricted_lots_can_pay(any_till: Till) -> None:
    till = any_till
    member = await till.member()
    store_lot = await till.grant(
        member, 10, lifetime_days=5, restrictions={"store_ids": ["berlin-01"]}
    )
    sofa_lot = await till.grant(
        member, 10, lifetime_days=50, restrictions={"categories": ["sofas"]}
    )
    receipt = (sofa(price=1_000), lamp(price=10_000, quantity=1))
    quote = await till.calculate(member, *receipt, points="max")
    # The sofa may take 2 points (a fifth of 10.00): the sofa-only lot pays them, and the store
    # lot, spent first, pays the lamp instead of blocking the sofa.
    assert (quote["max_redeemable"], quote["redeemed"]) == (12, 12)
    assert [line["redeemed"] for line in quote["lines"]] == [2, 10]
    bought = await till.buy(member, *receipt, points="max")
    assert bought["redeemed"] == 12
    assert store_lot["lot_id"] != sofa_lot["lot_id"]


async def test_the_sweep_settles_a_debt_left_beside_spendable_points(any_till: Till) -> None:
    till = any_till
    member = await till.member()
    await till.grant(member, 30)
    async with unit_of_work(till.sessions) as session:  # as if a bulk grant raced a return
        stored = await session.get(Member, member)
        assert stored is not None
        stored.debt = 12
        journal = Journal("return", member, "raced", utcnow())
        journal.add("reverse", member, None, debt=12)
        await journal.write(session)
    assert (await till.breaches()) != {}
    assert (await till.sweep()).settled_debts == 1
    balance = await till.balance(member)
    assert (balance["debt"], balance["available"]) == (0, 18)
    assert (await till.sweep()).settled_debts == 0
