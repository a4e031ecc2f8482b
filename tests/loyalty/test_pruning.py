"""Loyalty's scheduled clean-up: lapsed reservations all go, old idempotency answers too."""

from datetime import timedelta

from sqlalchemy import select

from kit.clock import utcnow
from kit.db import unit_of_work
from kit.retention import prune_all
from loyalty.expiry import lapse_reservations
from loyalty.models import IdempotencyRecord, Purchase
from loyalty.pruning import targets
from tests.loyalty.till import Till, lamp


async def test_every_lapsed_reservation_is_released_not_one_batch(any_till: Till) -> None:
    member = await any_till.member()
    for _ in range(5):
        assert (await any_till.reserve(member, lamp())).status_code == 201
    later = utcnow() + timedelta(days=1)
    assert await lapse_reservations(any_till.sessions, later, batch=2) == 5
    async with unit_of_work(any_till.sessions) as session:
        statuses = (await session.execute(select(Purchase.status))).scalars().all()
    assert statuses == ["lapsed"] * 5


async def test_old_idempotency_answers_are_pruned_and_recent_ones_kept(any_till: Till) -> None:
    for key in ("old", "new"):
        body = {"email": f"{key}@example.com", "consents": {"email": True}}
        answer = await any_till.http.post("/members", json=body, headers={"Idempotency-Key": key})
        assert answer.status_code == 201, answer.text
    async with unit_of_work(any_till.sessions) as session:
        old = await session.get(IdempotencyRecord, "old")
        assert old is not None
        old.created_at = utcnow() - timedelta(days=31)
    pruned = await prune_all(any_till.sessions, targets(any_till.settings))
    assert pruned["idempotency_records"] == 1
    async with unit_of_work(any_till.sessions) as session:
        kept = (await session.execute(select(IdempotencyRecord.key))).scalars().all()
    assert kept == ["new"]
