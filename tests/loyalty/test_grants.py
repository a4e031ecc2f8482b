"""Grants to one member or many, and the expiry job with its notices."""

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from kit.clock import utcnow
from kit.db import unit_of_work
from loyalty.models import JournalEntry, Lot
from tests.loyalty.till import Till, days_from_now, events, lamp, sofa


async def test_a_grant_answers_once_per_key_and_refuses_a_changed_body(till: Till) -> None:
    member = await till.member()
    body = {
        "idempotency_key": uuid.uuid4().hex,
        "member_id": member,
        "amount": 70,
        "lifetime_days": 3,
        "source": "campaign",
        "reference": "spring",
    }
    first = await till.http.post("/grants", json=body)
    assert first.status_code == 201, first.text
    again = await till.http.post("/grants", json=body)
    assert (again.status_code, again.json()) == (200, first.json())
    changed = await till.http.post("/grants", json={**body, "amount": 71})
    assert (changed.status_code, changed.json()["code"]) == (409, "idempotency_key_reused")
    assert (await till.balance(member))["available"] == 70
    [granted] = await events(till, "bonus.granted")
    assert granted["payload"]["reference"] == "spring"


async def test_grant_input_is_checked(till: Till) -> None:
    member = await till.member()
    base = {"idempotency_key": "k", "member_id": member, "amount": 5, "source": "promo"}
    both = await till.http.post(
        "/grants", json={**base, "lifetime_days": 3, "expires_at": days_from_now(1)}
    )
    assert both.status_code == 422
    unknown = await till.http.post(
        "/grants", json={**base, "member_id": "nobody", "lifetime_days": 3}
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "member_not_found")


async def test_a_bulk_grant_reaches_known_members_once(till: Till) -> None:
    members = [await till.member() for _ in range(3)]
    body = {
        "idempotency_key": uuid.uuid4().hex,
        "member_ids": [*members, members[0], "unknown"],
        "amount": 25,
        "lifetime_days": 10,
        "source": "campaign",
        "restrictions": {"store_channels": ["offline"]},
    }
    first = await till.http.post("/grants/bulk", json=body)
    assert first.status_code == 201, first.text
    assert (first.json()["granted"], first.json()["skipped"]) == (3, 2)
    assert (await till.http.post("/grants/bulk", json=body)).json() == first.json()
    assert [(await till.balance(m))["available"] for m in members] == [25, 25, 25]
    granted = await events(till, "bonus.granted")
    assert sorted(e["customer_id"] for e in granted) == sorted(members)
    assert {e["payload"]["grant_id"] for e in granted} == {first.json()["grant_id"]}
    online = await till.calculate(members[1], sofa(), points="max", channel="online")
    assert online["redeemed"] == 0


async def test_expiry_burns_once_and_warns_before(till: Till) -> None:
    member = await till.member()
    await till.grant(member, 30, lifetime_days=3)
    await till.grant(member, 40, lifetime_days=60)
    txid = (await till.reserve(member, sofa(), points=10)).json()["txid"]
    first = await till.sweep()
    assert first.expiring_notices == 1
    [notice] = await events(till, "bonus.expiring")
    assert notice["payload"]["amount"] == 20  # 10 of the 30 are held by the open reservation
    assert (await till.sweep()).expiring_notices == 0

    await till.cancel(txid)
    in_a_week = utcnow() + timedelta(days=7)
    assert (await till.sweep(in_a_week)).expired_points == 30
    assert (await till.sweep(in_a_week)).expired_points == 0
    [expired] = await events(till, "bonus.expired")
    assert expired["payload"]["amount"] == 30
    async with unit_of_work(till.sessions) as session:
        burnt = select(func.sum(JournalEntry.points)).where(JournalEntry.kind == "expire")
        assert (await session.execute(burnt)).scalar_one() == -30
        lots = (await session.execute(select(Lot.remaining).order_by(Lot.initial))).scalars()
        assert list(lots) == [0, 40]


async def test_own_city_grants_follow_each_member_to_their_city(any_till: Till) -> None:
    till = any_till
    berlin, munich = await till.member(city="Berlin"), await till.member(city="Munich")
    nowhere = await till.member()
    own_sofas = {"own_city": True, "categories": ["sofas"]}
    single = {"amount": 40, "lifetime_days": 10, "source": "campaign", "restrictions": own_sofas}
    granted = await till.http.post(
        "/grants", json={**single, "idempotency_key": uuid.uuid4().hex, "member_id": berlin}
    )
    assert granted.status_code == 201, granted.text
    refused = await till.http.post(
        "/grants", json={**single, "idempotency_key": uuid.uuid4().hex, "member_id": nowhere}
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "member_city_unknown")
    bulk = await till.http.post(
        "/grants/bulk",
        json={**single, "idempotency_key": uuid.uuid4().hex, "member_ids": [munich, nowhere]},
    )
    assert (bulk.json()["granted"], bulk.json()["skipped"]) == (1, 1)
    assert [(await till.balance(m))["available"] for m in (berlin, munich, nowhere)] == [40, 40, 0]

    async def redeemable(member: str, city: str, line: dict[str, object]) -> int:
        return int((await till.calculate(member, line, points="max", city=city))["redeemed"])

    assert await redeemable(berlin, "Berlin", sofa()) == 40
    assert await redeemable(berlin, "Munich", sofa()) == 0
    assert await redeemable(munich, "Munich", sofa()) == 40
    assert await redeemable(munich, "Berlin", sofa()) == 0
    assert await redeemable(munich, "Munich", lamp()) == 0  # the other restrictions still hold
    both = {**single, "restrictions": {"own_city": True, "cities": ["Berlin"]}}
    clash = await till.http.post(
        "/grants", json={**both, "idempotency_key": uuid.uuid4().hex, "member_id": berlin}
    )
    assert clash.status_code == 422
