"""The projection: duplicates change nothing, and any delivery order ends in the same state."""

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from kit.contracts.loyalty import (
    MemberTierChanged,
    MemberTierChangedPayload,
    MemberUpdated,
    MemberUpdatedPayload,
)
from kit.db import SessionFactory
from kit.events import Event
from segments.models import PurchaseCategory
from tests.segments.conftest import (
    deliver,
    memberships_of,
    outbox_events,
    profile_of,
    purchase,
    registered,
    returned,
)

# Memberships follow the real clock in the consumers, so the history is relative to it.
NOW = datetime.now(UTC)
STATE = (
    "city",
    "time_zone",
    "subscribed_channels",
    "tier",
    "first_purchase_at",
    "last_purchase_at",
    "last_purchase_day",
    "purchase_count",
    "lifetime_spend",
    "last_store_id",
)


async def state(sessions: SessionFactory, customer_id: str) -> dict[str, Any]:
    profile = await profile_of(sessions, customer_id)
    found = {field: getattr(profile, field) for field in STATE}
    return {**found, "segments": await memberships_of(sessions, customer_id)}


def history(customer_id: str) -> list[Event]:
    """A registration, two updates, three purchases, a return and two tier changes."""
    first = purchase(customer_id, NOW - timedelta(days=70), amount=4000, store_id="s1")
    second = purchase(customer_id, NOW - timedelta(days=40), amount=1000, store_id="s2")
    third = purchase(customer_id, NOW - timedelta(days=10), amount=900, store_id="s3")
    return [
        registered(customer_id, city="Berlin", at=NOW - timedelta(days=100)),
        updated(customer_id, "Hamburg", "Europe/Berlin", NOW - timedelta(days=50)),
        updated(customer_id, "Munich", "Asia/Tokyo", NOW - timedelta(days=20)),
        first,
        second,
        third,
        returned(customer_id, third, 900, NOW - timedelta(days=5)),
        returned(customer_id, first, 1500, NOW - timedelta(days=60)),
        tier(customer_id, "silver", NOW - timedelta(days=60)),
        tier(customer_id, "gold", NOW - timedelta(days=30)),
    ]


def updated(customer_id: str, city: str, zone: str, at: Any) -> MemberUpdated:
    payload = MemberUpdatedPayload(city=city, time_zone=zone, consents={"sms": True}, updated_at=at)
    return MemberUpdated(customer_id=customer_id, occurred_at=at, payload=payload)


def tier(customer_id: str, name: str, at: Any) -> MemberTierChanged:
    payload = MemberTierChangedPayload(previous_tier="basic", tier=name, trailing_spend=0)
    return MemberTierChanged(customer_id=customer_id, occurred_at=at, payload=payload)


def same_history_for(customer_id: str, events: list[Event]) -> list[Event]:
    """The same facts about another customer, with fresh event ids."""
    rebound = []
    for event in events:
        payload = event.payload
        renamed = {
            key: f"{customer_id[:8]}-{getattr(payload, key)}"
            for key in ("txid", "return_id")
            if hasattr(payload, key)
        }
        payload = payload.model_copy(update=renamed)
        rebound.append(
            event.model_copy(
                update={"id": uuid.uuid4(), "customer_id": customer_id, "payload": payload}
            )
        )
    return rebound


async def test_any_delivery_order_ends_in_the_same_state(sessions: SessionFactory) -> None:
    in_order = str(uuid.uuid4())
    events = history(in_order)
    await deliver(sessions, *events)
    expected = await state(sessions, in_order)
    assert expected["city"] == "Munich" and expected["tier"] == "gold"
    assert expected["purchase_count"] == 2  # the third purchase was returned in full
    assert expected["lifetime_spend"] == 2500 + 1000
    assert expected["last_store_id"] == "s2"
    assert expected["segments"] == {"recency.cooling"}

    shuffler = random.Random(7)
    orders = [list(reversed(events))] + [shuffler.sample(events, len(events)) for _ in range(3)]
    for order in orders:
        customer = str(uuid.uuid4())
        await deliver(sessions, *same_history_for(customer, order))
        got = await state(sessions, customer)
        assert got == expected


async def test_a_duplicate_event_changes_nothing(sessions: SessionFactory) -> None:
    customer = str(uuid.uuid4())
    events = history(customer)
    await deliver(sessions, *events)
    before, emitted = await state(sessions, customer), len(await outbox_events(sessions, customer))

    await deliver(sessions, *events)

    assert await state(sessions, customer) == before
    assert len(await outbox_events(sessions, customer)) == emitted


async def test_a_purchase_republished_under_a_new_event_id_counts_once(
    sessions: SessionFactory,
) -> None:
    member = registered()
    assert member.customer_id
    bought = purchase(member.customer_id, NOW - timedelta(days=3), amount=1200)
    await deliver(sessions, member, bought, bought.model_copy(update={"id": uuid.uuid4()}))
    profile = await profile_of(sessions, member.customer_id)
    assert (profile.purchase_count, profile.lifetime_spend) == (1, 1200)


@pytest.mark.parametrize(
    ("refunded", "counted", "spend", "categories_counted"),
    [(200, 1, 1000, [True]), (1200, 0, 0, [False])],
    ids=["in_part", "whole"],
)
async def test_a_return_before_its_purchase_applies_once_the_purchase_lands(
    sessions: SessionFactory,
    refunded: int,
    counted: int,
    spend: int,
    categories_counted: list[bool],
) -> None:
    member = registered()
    assert member.customer_id
    bought = purchase(member.customer_id, NOW - timedelta(days=3), amount=1200)
    await deliver(sessions, member, returned(member.customer_id, bought, refunded, NOW))
    held = await profile_of(sessions, member.customer_id)
    assert (held.purchase_count, held.lifetime_spend) == (0, 0)

    await deliver(sessions, bought)

    profile = await profile_of(sessions, member.customer_id)
    assert (profile.purchase_count, profile.lifetime_spend) == (counted, spend)
    # A wholly returned purchase's categories no longer count in category rules.
    query = select(PurchaseCategory.counted).where(
        PurchaseCategory.customer_id == member.customer_id
    )
    async with sessions() as session:
        assert list((await session.scalars(query)).all()) == categories_counted
