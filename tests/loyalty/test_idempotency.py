"""Retries and races: a till that retries until it gets an answer never doubles anything."""

import asyncio
import uuid

from sqlalchemy import func, select

from kit.db import unit_of_work
from loyalty.models import JournalEntry, Lot
from tests.loyalty.till import Till, events, lamp, sofa


async def count(till: Till, query: object) -> int:
    async with unit_of_work(till.sessions) as session:
        return int((await session.execute(query)).scalar_one())  # type: ignore[call-overload]


async def test_a_thousand_concurrent_identical_confirms_have_one_effect(till: Till) -> None:
    member = await till.member()
    await till.grant(member, 500)
    txid = (await till.reserve(member, sofa(), points=100)).json()["txid"]
    answers = await asyncio.gather(*(till.confirm(txid) for _ in range(1_000)))
    assert {response.status_code for response in answers} == {200}
    assert len({response.content for response in answers}) == 1
    assert len(await events(till, "purchase.confirmed")) == 1
    captures = select(func.count()).where(JournalEntry.kind == "capture")
    assert await count(till, captures) == 1
    assert await count(till, select(func.count()).where(Lot.source == "purchase")) == 1
    accrued = answers[0].json()["accrued"]
    assert (await till.balance(member))["available"] == 400 + accrued


async def test_fifty_concurrent_reservations_never_take_more_than_the_balance(till: Till) -> None:
    member = await till.member()
    await till.grant(member, 500)
    answers = await asyncio.gather(*(till.reserve(member, lamp(), points=20) for _ in range(50)))
    codes = [response.status_code for response in answers]
    assert codes.count(201) == 25
    assert {r.json()["code"] for r in answers if r.status_code != 201} == {"insufficient_points"}
    balance = await till.balance(member)
    assert (balance["reserved"], balance["available"]) == (500, 0)


async def test_the_same_txid_replays_and_a_changed_body_is_a_409(till: Till) -> None:
    member = await till.member()
    await till.grant(member, 500)
    txid = uuid.uuid4().hex
    first = await till.reserve(member, sofa(), points=50, txid=txid)
    again = await till.reserve(member, sofa(), points=50, txid=txid)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    changed = await till.reserve(member, sofa(), points=60, txid=txid)
    assert (changed.status_code, changed.json()["code"]) == (409, "txid_reused")
    assert (await till.balance(member))["reserved"] == 50


async def test_two_members_racing_for_one_new_txid_get_one_reservation_and_one_409(
    till: Till,
) -> None:
    first, second = await till.member(), await till.member()
    for member in (first, second):
        await till.grant(member, 500)
    txid = uuid.uuid4().hex
    answers = await asyncio.gather(
        *(till.reserve(member, sofa(), points=50, txid=txid) for member in (first, second) * 5)
    )
    codes = sorted(response.status_code for response in answers)
    assert 500 not in codes
    assert {r.json()["code"] for r in answers if r.status_code == 409} == {"txid_reused"}
    reserved = [(await till.balance(member))["reserved"] for member in (first, second)]
    assert sorted(reserved) == [0, 50]


async def test_an_idempotency_key_replays_and_refuses_a_changed_body(till: Till) -> None:
    member = await till.member()
    await till.grant(member, 500)
    txid = (await till.reserve(member, sofa(), points=50)).json()["txid"]
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    first = await till.confirm(txid, **headers)
    assert (await till.confirm(txid, **headers)).json() == first.json()
    other = (await till.reserve(member, sofa(), points=10)).json()["txid"]
    reused = await till.confirm(other, **headers)
    assert (reused.status_code, reused.json()["code"]) == (409, "idempotency_key_reused")


async def test_a_retried_return_is_applied_once(till: Till) -> None:
    member = await till.member()
    bought = await till.buy(member, lamp(quantity=2))
    answers = await asyncio.gather(
        *(till.return_items(bought["txid"], ("LAMP", 1), return_id="r-1") for _ in range(20))
    )
    assert len({response.content for response in answers}) == 1
    assert len(await events(till, "purchase.returned")) == 1
    changed = await till.return_items(bought["txid"], ("LAMP", 2), return_id="r-1")
    assert changed.status_code == 409
