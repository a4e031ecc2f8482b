"""The whole POS flow once on SQLite (as under `make run`) and once on PostgreSQL."""

import asyncio

from tests.loyalty.till import Till, lamp, sofa


async def test_the_pos_flow_on_either_database(any_till: Till) -> None:
    member = await any_till.member()
    await any_till.grant(member, 300)
    quote = await any_till.calculate(member, sofa(), lamp(), points="max")
    assert quote["max_redeemable"] == 120
    bought = await any_till.buy(member, sofa(), lamp(), points="max")
    assert bought["redeemed"] == 120
    assert (await any_till.balance(member))["available"] == 300 - 120 + bought["accrued"]

    returned = (await any_till.return_items(bought["txid"], ("LAMP", 2))).json()
    assert returned["restored_points"] + returned["reversed_points"] > 0
    txid = (await any_till.reserve(member, sofa(), points=10)).json()["txid"]
    assert (await any_till.cancel(txid)).json()["released_points"] == 10


async def test_concurrent_reservations_on_either_database(any_till: Till) -> None:
    member = await any_till.member()
    await any_till.grant(member, 100)
    answers = await asyncio.gather(
        *(any_till.reserve(member, lamp(), points=20) for _ in range(10))
    )
    assert [r.status_code for r in answers].count(201) == 5
    assert (await any_till.balance(member))["reserved"] == 100
