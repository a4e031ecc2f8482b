"""Recency buckets: exact edges in the customer's own time zone, moves on purchase and daily."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from kit.db import SessionFactory, unit_of_work
from segments.domain.recency import bucket_of
from segments.recompute import SegmentConfig, recompute_all
from tests.segments.conftest import (
    NOW,
    changes,
    deliver,
    memberships_of,
    outbox_events,
    purchase,
    registered,
)

EDGES = (30, 60, 90, 121)
EXPECTED = {
    29: "recency.active",
    30: "recency.cooling",
    59: "recency.cooling",
    60: "recency.sleeping",
    89: "recency.sleeping",
    90: "recency.at_risk",
    120: "recency.at_risk",
    121: "recency.lost",
}


@pytest.mark.parametrize(("days", "bucket"), sorted(EXPECTED.items()))
def test_bucket_edges_in_pure_logic(days: int, bucket: str) -> None:
    assert bucket_of(days, EDGES) == bucket
    assert bucket_of(None, EDGES) == "recency.never_bought"


async def recompute(sessions: SessionFactory, now: datetime) -> None:
    async with unit_of_work(sessions) as session:
        await recompute_all(session, SegmentConfig(), now)


# (now, local time of each purchase): chosen so the purchase's UTC date differs from its local
# date, where counting UTC days would be one off. Tokyo is UTC+9, Los Angeles UTC-7 in June.
ZONES = {
    "UTC": (datetime(2026, 6, 15, 12, 0, tzinfo=UTC), time(9, 0)),
    "Asia/Tokyo": (datetime(2026, 6, 15, 0, 30, tzinfo=UTC), time(8, 0)),
    "America/Los_Angeles": (datetime(2026, 6, 15, 6, 30, tzinfo=UTC), time(20, 0)),
}


def local_purchase_time(now: datetime, zone: str, days_ago: int, at: time) -> datetime:
    today = now.astimezone(ZoneInfo(zone)).date()
    local = datetime.combine(today - timedelta(days=days_ago), at, tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC)


@pytest.mark.parametrize("zone", sorted(ZONES))
async def test_bucket_edges_count_local_calendar_days(sessions: SessionFactory, zone: str) -> None:
    now, at = ZONES[zone]
    customers = {}
    for days in EXPECTED:
        member = registered(time_zone=zone, at=now - timedelta(days=400))
        assert member.customer_id
        bought_at = local_purchase_time(now, zone, days, at)
        if zone != "UTC":
            assert (
                bought_at.date()
                != local_purchase_time(now, zone, days, at).astimezone(ZoneInfo(zone)).date()
            )
        await deliver(sessions, member, purchase(member.customer_id, bought_at))
        customers[days] = member.customer_id
    await recompute(sessions, now)
    for days, bucket in EXPECTED.items():
        recency = {s for s in await memberships_of(sessions, customers[days]) if "recency" in s}
        assert recency == {bucket}, days


async def test_a_customer_who_never_bought_has_their_own_bucket(sessions: SessionFactory) -> None:
    member = registered()
    await deliver(sessions, member)
    assert member.customer_id
    assert await memberships_of(sessions, member.customer_id) == {"recency.never_bought"}


async def test_a_purchase_leaves_the_churn_bucket_at_once_with_one_exit(
    sessions: SessionFactory,
) -> None:
    member = registered(at=NOW - timedelta(days=200))
    assert member.customer_id
    customer = member.customer_id
    await deliver(sessions, member, purchase(customer, datetime.now(UTC) - timedelta(days=95)))
    assert "recency.at_risk" in await memberships_of(sessions, customer)
    before = len(await outbox_events(sessions, customer))

    await deliver(sessions, purchase(customer, datetime.now(UTC)))

    after = changes((await outbox_events(sessions, customer))[before:])
    assert after.count(("segment.exited", "recency.at_risk")) == 1
    assert after.count(("segment.entered", "recency.active")) == 1
    assert len(after) == 2
    assert "recency.active" in await memberships_of(sessions, customer)


async def test_the_daily_recompute_moves_a_customer_into_cooling_once(
    sessions: SessionFactory,
) -> None:
    member = registered(time_zone="Europe/Berlin", at=NOW - timedelta(days=40))
    assert member.customer_id
    customer = member.customer_id
    bought_at = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)  # 12:00 in Berlin
    await deliver(sessions, member, purchase(customer, bought_at))
    day_29 = datetime(2026, 5, 30, 21, 0, tzinfo=UTC)  # 23:00 in Berlin, 29 local days later
    day_30 = datetime(2026, 5, 30, 22, 30, tzinfo=UTC)  # 00:30 in Berlin, the 30th local day
    await recompute(sessions, day_29)
    assert "recency.active" in await memberships_of(sessions, customer)
    before = len(await outbox_events(sessions, customer))

    await recompute(sessions, day_30)
    await recompute(sessions, day_30 + timedelta(hours=1))  # nothing changed since: no event

    after = changes((await outbox_events(sessions, customer))[before:])
    assert sorted(after) == [
        ("segment.entered", "recency.cooling"),
        ("segment.exited", "recency.active"),
    ]
    assert "recency.cooling" in await memberships_of(sessions, customer)
