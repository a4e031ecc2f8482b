"""Returns: refunds in proportion, accrual taken back, points restored to their lots, debt."""

from datetime import timedelta

from sqlalchemy import select

from kit.clock import utcnow
from kit.db import unit_of_work
from loyalty.domain.rules import ProgramRules
from loyalty.models import Lot
from loyalty.purchase_schemas import ReturnLine, ReturnRequest
from loyalty.returns import return_items
from tests.loyalty.till import Till, events, lamp, sofa

RULES = ProgramRules()


async def lot_remaining(till: Till, lot_id: str) -> int:
    async with unit_of_work(till.sessions) as session:
        return int(
            (await session.execute(select(Lot.remaining).where(Lot.id == lot_id))).scalar_one()
        )


async def test_a_partial_then_full_return_restores_points_to_their_lots(till: Till) -> None:
    member = await till.member()
    soon = await till.grant(member, 40, lifetime_days=3)
    late = await till.grant(member, 500, lifetime_days=90)
    bought = await till.buy(member, lamp(price=10_000, quantity=4), points="max")
    assert bought["redeemed"] == 80  # 40 from the lot expiring first, 40 from the later one
    assert await lot_remaining(till, soon["lot_id"]) == 0

    first = await till.return_items(bought["txid"], ("LAMP", 1))
    assert first.status_code == 201, first.text
    assert first.json()["restored_points"] == 20
    assert first.json()["refunded_amount"] == (40_000 - 8_000) // 4
    assert first.json()["reversed_points"] == bought["accrued"] // 4

    rest = (await till.return_items(bought["txid"], ("LAMP", 3))).json()
    assert first.json()["restored_points"] + rest["restored_points"] == 80
    assert first.json()["reversed_points"] + rest["reversed_points"] == bought["accrued"]
    assert await lot_remaining(till, soon["lot_id"]) == 40
    assert await lot_remaining(till, late["lot_id"]) == 500
    assert (await till.balance(member))["available"] == 540
    returned = await events(till, "purchase.returned")
    assert [e["payload"]["restored_points"] for e in returned] == [20, 60]


async def test_returning_more_than_bought_is_a_422(till: Till) -> None:
    member = await till.member()
    bought = await till.buy(member, lamp(quantity=2))
    too_many = await till.return_items(bought["txid"], ("LAMP", 3))
    assert (too_many.status_code, too_many.json()["code"]) == (422, "return_exceeds_purchase")
    unknown = await till.return_items(bought["txid"], ("SOFA", 1))
    assert unknown.status_code == 422
    await till.return_items(bought["txid"], ("LAMP", 2))
    again = await till.return_items(bought["txid"], ("LAMP", 1))
    assert again.json()["code"] == "return_exceeds_purchase"


async def test_a_return_of_spent_accrual_leaves_a_debt_that_every_credit_repays(
    till: Till,
) -> None:
    member = await till.member()
    await till.grant(member, 100)
    big = await till.buy(member, sofa(price=100_000))
    assert big["accrued"] == 50
    spent = await till.buy(member, sofa(price=75_000), points=150)  # spends the accrual too
    assert (spent["redeemed"], spent["accrued"]) == (150, 42)  # silver: 7 % of 600.00
    returned = (await till.return_items(big["txid"], ("SOFA", 1))).json()
    assert (returned["reversed_points"], returned["debt_points"]) == (50, 50)
    assert returned["debt_repaid"] == 42  # the points the member still held pay at once
    balance = await till.balance(member)
    assert (balance["debt"], balance["available"]) == (8, 0)
    await till.grant(member, 5)
    assert ((b := await till.balance(member))["debt"], b["available"]) == (3, 0)
    later = await till.buy(member, sofa(price=40_000))
    assert (later["accrued"], later["debt_repaid"]) == (20, 3)
    assert ((b := await till.balance(member))["debt"], b["available"]) == (0, 17)


async def test_points_from_lots_that_expired_meanwhile_are_not_restored(till: Till) -> None:
    member = await till.member()
    await till.grant(member, 50, lifetime_days=1)
    bought = await till.buy(member, sofa(), points=50)
    three_days_on = utcnow() + timedelta(days=3)
    await till.sweep(three_days_on)
    async with unit_of_work(till.sessions) as session:
        body = ReturnRequest(return_id="r1", lines=[ReturnLine(sku="SOFA", quantity=1)])
        returned = await return_items(
            session, RULES, bought["txid"], None, body, None, now=three_days_on
        )
    assert (returned.restored_points, returned.not_restored_points) == (0, 50)
    assert returned.note and "expired" in returned.note


async def test_only_confirmed_purchases_can_be_returned(till: Till) -> None:
    member = await till.member()
    txid = (await till.reserve(member, sofa())).json()["txid"]
    response = await till.return_items(txid, ("SOFA", 1))
    assert response.json()["code"] == "purchase_not_confirmed"


async def test_events_name_the_lots_points_came_from_and_went_back_to(till: Till) -> None:
    member = await till.member()
    soon = await till.grant(member, 40, lifetime_days=3, reference="spring")
    late = await till.grant(member, 500, lifetime_days=90)
    bought = await till.buy(member, lamp(price=10_000, quantity=4), points="max")
    [confirmed] = await events(till, "purchase.confirmed")
    assert confirmed["payload"]["redeemed_lots"] == [
        {
            "lot_id": soon["lot_id"],
            "points": 40,
            "source": "promo",
            "grant_id": soon["grant_id"],
            "reference": "spring",
        },
        {
            "lot_id": late["lot_id"],
            "points": 40,
            "source": "promo",
            "grant_id": late["grant_id"],
            "reference": None,
        },
    ]
    await till.return_items(bought["txid"], ("LAMP", 1))
    [returned] = await events(till, "purchase.returned")
    restored = returned["payload"]["restored_lots"]
    assert [(lot["lot_id"], lot["points"]) for lot in restored] == [(soon["lot_id"], 20)]
    assert restored[0]["grant_id"] == soon["grant_id"]
