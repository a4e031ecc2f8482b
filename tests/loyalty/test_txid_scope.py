"""txids are unique per store: two stores that number their tills alike each keep their own."""

import asyncio

from sqlalchemy import text

from kit.db import create_engine
from kit.migrations import upgrade, upgrade_async
from tests.loyalty.till import Till, events, lamp, sofa

TXID = "till1-000001"


async def _step(till: Till, step: str, store: str | None, body: object = None) -> tuple[int, str]:
    params = {"store_id": store} if store else {}
    answer = await till.http.post(f"/purchases/{TXID}/{step}", json=body or {}, params=params)
    return answer.status_code, answer.json().get("code", answer.json().get("status", ""))


async def test_two_stores_reserve_confirm_cancel_and_return_the_same_txid(any_till: Till) -> None:
    till = any_till
    first, second = await till.member(), await till.member()
    await till.grant(first, 100)
    await till.grant(second, 100)
    a = await till.reserve(first, sofa(), txid=TXID, store_id="store-a", points=10)
    b = await till.reserve(second, lamp(), txid=TXID, store_id="store-b", points=20)
    assert (a.status_code, b.status_code) == (201, 201), (a.text, b.text)
    assert (a.json()["redeemed"], b.json()["redeemed"]) == (10, 20)
    assert await _step(till, "confirm", "store-a") == (200, "confirmed")
    # Store b's purchase is still its own: reserved, so it can be cancelled, not returned.
    assert await _step(
        till, "returns", "store-b", {"return_id": "r1", "lines": [{"sku": "LAMP", "quantity": 1}]}
    ) == (
        409,
        "purchase_not_confirmed",
    )
    assert await _step(till, "cancel", "store-b") == (200, "cancelled")
    assert (await till.balance(second))["available"] == 100
    returned = {"return_id": "r1", "lines": [{"sku": "SOFA", "quantity": 1}]}
    assert await _step(till, "returns", "store-a", returned) == (201, "")
    assert (await till.balance(first))["available"] == 100
    confirmed = await events(till, "purchase.confirmed")
    assert [(e["payload"]["store_id"], e["payload"]["txid"]) for e in confirmed] == [
        ("store-a", TXID)
    ]
    [back] = await events(till, "purchase.returned")
    assert (back["payload"]["store_id"], back["payload"]["txid"]) == ("store-a", TXID)


async def test_the_same_member_may_buy_under_one_txid_in_two_stores(any_till: Till) -> None:
    till = any_till
    member = await till.member()
    await till.grant(member, 100)
    for store in ("store-a", "store-b"):
        reserved = await till.reserve(member, lamp(), txid=TXID, store_id=store, points=20)
        assert reserved.status_code == 201, reserved.text
        assert await _step(till, "confirm", store) == (200, "confirmed")
    for store in ("store-a", "store-b"):  # the same return id at each store: two returns
        returned = {"return_id": "r1", "lines": [{"sku": "LAMP", "quantity": 2}]}
        assert await _step(till, "returns", store, returned) == (201, "")
    assert (await till.balance(member))["available"] == 100
    assert len(await events(till, "purchase.returned")) == 2


async def test_a_step_without_a_store_finds_a_txid_only_when_it_is_unique(any_till: Till) -> None:
    till = any_till
    member = await till.member()
    reserved = await till.reserve(member, lamp(), txid=TXID, store_id="store-a")
    assert reserved.status_code == 201, reserved.text
    assert await _step(till, "confirm", "store-b") == (404, "purchase_not_found")
    other = await till.reserve(member, lamp(), txid=TXID, store_id="store-b")
    assert other.status_code == 201, other.text
    assert await _step(till, "confirm", None) == (409, "txid_ambiguous")
    assert await _step(till, "cancel", None) == (409, "txid_ambiguous")
    assert await _step(till, "cancel", "store-b") == (200, "cancelled")
    assert await _step(till, "confirm", "store-a") == (200, "confirmed")
    unique = await till.reserve(member, lamp(), txid="till9-1", store_id="store-a")
    assert unique.status_code == 201, unique.text
    assert (await till.confirm("till9-1")).status_code == 200


async def test_an_idempotency_key_reused_at_another_store_is_not_replayed(till: Till) -> None:
    member = await till.member()
    for store in ("store-a", "store-b"):
        reserved = await till.reserve(member, lamp(), txid=TXID, store_id=store)
        assert reserved.status_code == 201, reserved.text
    key = {"Idempotency-Key": "till-retry-1"}
    answers = [
        await till.http.post(
            f"/purchases/{TXID}/{step}", json={}, params={"store_id": store}, headers=key
        )
        for step, store in (("confirm", "store-a"), ("cancel", "store-b"))
    ]
    assert [a.json()["status"] for a in answers] == ["confirmed", "cancelled"]


OLD_ROWS = [
    """INSERT INTO purchases (txid, member_id, status, store_id, channel, lines, total_amount,
        redeemed_points, accrued_points, paid_amount, refunded_amount, fingerprints, answers,
        reserved_until, created_at)
       VALUES ('t1', 'm1', 'confirmed', 'store-a', 'offline', '[]', 100, 1, 0, 99, 0, '{}',
        '{}', '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00')""",
    """INSERT INTO allocations (txid, lot_id, line_no, points, returned)
       VALUES ('t1', 'l1', 0, 1, 0)""",
    """INSERT INTO returns (txid, return_id, fingerprint, answer, created_at)
       VALUES ('t1', 'r1', 'f', '{}', '2026-01-01 00:00:00+00')""",
    """INSERT INTO operations (kind, member_id, reference, created_at)
       VALUES ('return', 'm1', 't1/r1', '2026-01-01 00:00:00+00')""",
]


async def test_the_migration_gives_existing_purchases_their_store(database_url: str) -> None:
    await asyncio.to_thread(upgrade, "loyalty:migrations", database_url, "0007")
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        for statement in OLD_ROWS:
            await connection.execute(text(statement))
    await upgrade_async("loyalty:migrations", database_url)
    async with engine.begin() as connection:
        found = {
            table: (await connection.execute(text(f"SELECT store_id FROM {table}"))).scalar_one()
            for table in ("allocations", "returns")
        }
        reference = await connection.execute(text("SELECT reference FROM operations"))
        assert reference.scalar_one() == "store-a/t1/r1"
        # The same txid and return id at another store are a new purchase and a new return.
        await connection.execute(text(OLD_ROWS[0].replace("store-a", "store-b")))
        await connection.execute(
            text(
                """INSERT INTO returns (txid, store_id, return_id, fingerprint, answer, created_at)
                VALUES ('t1', 'store-b', 'r1', 'f', '{}', '2026-01-01 00:00:00+00')"""
            )
        )
    await engine.dispose()
    assert found == {"allocations": "store-a", "returns": "store-a"}
