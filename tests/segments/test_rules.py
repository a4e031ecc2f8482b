"""The rule language: precise validation errors, and every operator on a known population."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, text

from kit.contracts.gateway import CartUpdated, CartUpdatedPayload
from kit.contracts.loyalty import MemberTierChanged, MemberTierChangedPayload
from kit.contracts.notifier import MessageClicked, MessagePayload
from kit.db import SessionFactory, unit_of_work
from segments import service
from segments.domain.rules import RuleErrors, parse
from segments.models import Membership
from segments.recompute import SegmentConfig, recompute_all
from segments.schemas import PreviewIn, SegmentIn
from tests.segments.conftest import NOW, deliver, purchase, registered

INVALID: list[tuple[Any, str, str]] = [
    ([], "$", "expected an object"),
    ({}, "$", "expected exactly one of"),
    ({"and": []}, "$.and", "non-empty list"),
    (
        {"or": [{"attribute": "shoe_size", "op": "eq", "value": "42"}]},
        "$.or[0].attribute",
        "unknown attribute",
    ),
    ({"attribute": "city", "op": "gt", "value": "Berlin"}, "$.op", "expected one of eq"),
    ({"attribute": "city", "op": "in", "value": "Berlin"}, "$.value", "list of 1 to"),
    ({"attribute": "city", "op": "eq", "value": "Berlin", "extra": 1}, "$.extra", "unknown field"),
    (
        {"attribute": "days_since_last_purchase", "op": "between", "value": [59, 30]},
        "$.value",
        "low must not exceed high",
    ),
    (
        {"attribute": "days_since_last_purchase", "op": "gte", "value": "30"},
        "$.value",
        "an integer",
    ),
    ({"attribute": "birthday", "op": "within_days", "value": 400}, "$.value", "0 to 366"),
    (
        {"attribute": "subscribed", "op": "contains", "value": "fax"},
        "$.value",
        "expected one of email",
    ),
    ({"aggregate": "visits", "op": "gte", "value": 1}, "$.aggregate", "purchase_count, spend"),
    (
        {"aggregate": "spend", "window": {"days": 0}, "op": "gt", "value": 0},
        "$.window.days",
        "1 to 3660",
    ),
    (
        {"aggregate": "spend", "window": {"period": "last_decade"}, "op": "gt", "value": 0},
        "$.window.period",
        "expected one of",
    ),
    (
        {"aggregate": "spend", "op": "gt", "value": 0, "channel": "phone"},
        "$.channel",
        "online or offline",
    ),
    ({"bought_category": "", "window": {"days": 9}}, "$.bought_category", "category name"),
    ({"segment": "recency.active", "op": "maybe"}, "$.op", "in or not_in"),
    ({"not": {"and": [{"segment": 7}]}}, "$.not.and[0].segment", "segment id"),
]


@pytest.mark.parametrize(("definition", "path", "reason"), INVALID)
def test_invalid_rules_name_the_path_and_the_reason(
    definition: Any, path: str, reason: str
) -> None:
    with pytest.raises(RuleErrors) as raised:
        parse(definition)
    assert any(e.path == path and reason in e.reason for e in raised.value.errors), raised.value


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(RuleErrors) as raised:
        parse({"and": [{"attribute": "x"}, {"aggregate": "spend", "op": "zz", "value": 1}]})
    assert {e.path for e in raised.value.errors} == {"$.and[0].attribute", "$.and[1].op"}


async def population(sessions: SessionFactory) -> dict[str, str]:
    """anna, ben, cara and dan, each built to satisfy a different set of conditions."""
    berlin_today = NOW.date()
    anna = registered(
        city="Berlin",
        time_zone="Europe/Berlin",
        birthday=date(1992, *(berlin_today + timedelta(days=5)).timetuple()[1:3]),
        consents={"email": True},
        at=NOW - timedelta(days=300),
    )
    ben = registered(city="Hamburg", consents={"sms": True}, at=NOW - timedelta(days=300))
    cara = registered(
        city="Munich",
        time_zone="America/New_York",
        birthday=date(1990, *(berlin_today + timedelta(days=40)).timetuple()[1:3]),
        at=NOW - timedelta(days=300),
    )
    dan = registered(city="Berlin", at=NOW - timedelta(days=300))
    ids = {
        name: m.customer_id or ""
        for name, m in zip(("anna", "ben", "cara", "dan"), (anna, ben, cara, dan), strict=True)
    }
    await deliver(sessions, anna, ben, cara, dan)
    await deliver(
        sessions,
        *(
            purchase(ids["anna"], NOW - timedelta(days=d), categories=("shoes",), channel="online")
            for d in (2, 5, 10)
        ),
        purchase(ids["ben"], NOW - timedelta(days=45), amount=500, store_id="s2"),
        purchase(ids["cara"], datetime(2026, 2, 10, 12, tzinfo=UTC), amount=700),
        MemberTierChanged(
            customer_id=ids["anna"],
            occurred_at=NOW,
            payload=MemberTierChangedPayload(
                previous_tier="silver", tier="gold", trailing_spend=3000
            ),
        ),
        CartUpdated(
            customer_id=ids["ben"],
            occurred_at=NOW,
            payload=CartUpdatedPayload(cart_id="k", items=[], total=2500),
        ),
        MessageClicked(
            customer_id=ids["anna"],
            occurred_at=NOW - timedelta(days=1),
            payload=MessagePayload(
                delivery_id="d", channel="email", template="t", source_ref="chain:x"
            ),
        ),
    )
    async with unit_of_work(sessions) as session:
        await recompute_all(session, SegmentConfig(), NOW)
    return ids


CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"attribute": "city", "op": "eq", "value": "Berlin"}, {"anna", "dan"}),
    ({"attribute": "city", "op": "ne", "value": "Berlin"}, {"ben", "cara"}),
    ({"attribute": "city", "op": "in", "value": ["Hamburg", "Munich"]}, {"ben", "cara"}),
    ({"attribute": "city", "op": "not_in", "value": ["Hamburg", "Munich"]}, {"anna", "dan"}),
    ({"attribute": "tier", "op": "eq", "value": "gold"}, {"anna"}),
    ({"attribute": "tier", "op": "ne", "value": "gold"}, {"ben", "cara", "dan"}),
    ({"attribute": "time_zone", "op": "in", "value": ["America/New_York"]}, {"cara"}),
    ({"attribute": "subscribed", "op": "contains", "value": "email"}, {"anna"}),
    ({"attribute": "subscribed", "op": "not_contains", "value": "email"}, {"ben", "cara", "dan"}),
    ({"attribute": "birthday", "op": "within_days", "value": 7}, {"anna"}),
    ({"attribute": "birthday", "op": "within_days", "value": 60}, {"anna", "cara"}),
    ({"attribute": "last_engagement", "op": "within_days", "value": 7}, {"anna"}),
    ({"attribute": "cart_total", "op": "gt", "value": 0}, {"ben"}),
    ({"attribute": "days_since_last_purchase", "op": "between", "value": [30, 59]}, {"ben"}),
    ({"attribute": "days_since_last_purchase", "op": "eq", "value": 2}, {"anna"}),
    ({"attribute": "days_since_last_purchase", "op": "ne", "value": 2}, {"ben", "cara"}),
    ({"attribute": "days_since_last_purchase", "op": "lt", "value": 45}, {"anna"}),
    ({"attribute": "days_since_last_purchase", "op": "lte", "value": 45}, {"anna", "ben"}),
    ({"attribute": "days_since_last_purchase", "op": "gt", "value": 45}, {"cara"}),
    ({"attribute": "days_since_last_purchase", "op": "gte", "value": 45}, {"ben", "cara"}),
    ({"aggregate": "purchase_count", "window": {"days": 90}, "op": "gte", "value": 2}, {"anna"}),
    (
        {"aggregate": "purchase_count", "window": {"days": 90}, "op": "lt", "value": 2},
        {"ben", "cara", "dan"},
    ),
    (
        {"aggregate": "purchase_count", "window": {"days": 90}, "op": "eq", "value": 0},
        {"cara", "dan"},
    ),
    ({"aggregate": "purchase_count", "op": "between", "value": [1, 1]}, {"ben", "cara"}),
    ({"aggregate": "purchase_count", "op": "gte", "value": 1, "channel": "online"}, {"anna"}),
    ({"aggregate": "purchase_count", "op": "gte", "value": 1, "store_id": "s2"}, {"ben"}),
    (
        {"aggregate": "spend", "window": {"period": "previous_quarter"}, "op": "gt", "value": 0},
        {"cara"},
    ),
    (
        {"aggregate": "spend", "window": {"period": "current_quarter"}, "op": "lte", "value": 500},
        {"ben", "cara", "dan"},
    ),
    ({"bought_category": "shoes", "window": {"days": 90}}, {"anna"}),
    ({"bought_category": "food"}, {"ben", "cara"}),
    ({"bought_category": "food", "window": {"days": 90}}, {"ben"}),
    ({"segment": "recency.active", "op": "in"}, {"anna"}),
    ({"segment": "recency.active", "op": "not_in"}, {"ben", "cara", "dan"}),
    ({"segment": "recency.never_bought"}, {"dan"}),
    (
        {
            "or": [
                {"attribute": "city", "op": "eq", "value": "Hamburg"},
                {"attribute": "tier", "op": "eq", "value": "gold"},
            ]
        },
        {"anna", "ben"},
    ),
    (
        {
            "and": [
                {"attribute": "city", "op": "eq", "value": "Berlin"},
                {"segment": "recency.never_bought", "op": "not_in"},
            ]
        },
        {"anna"},
    ),
    (
        {"not": {"attribute": "days_since_last_purchase", "op": "lt", "value": 45}},
        {"ben", "cara", "dan"},
    ),
]


async def test_every_operator_selects_exactly_the_expected_customers(
    sessions: SessionFactory,
) -> None:
    ids = await population(sessions)
    names = {customer: name for name, customer in ids.items()}
    for definition, expected in CASES:
        async with sessions() as session:
            count, sample = await service.preview(
                session, PreviewIn(definition=definition, sample_size=10), NOW
            )
        assert {names[c] for c in sample} == expected, definition
        assert count == len(expected), definition


# One connection; two slices cut by sorting the ids; three cut from the statistics' histogram.
@pytest.mark.parametrize(("parallelism", "analyzed"), [(1, False), (2, False), (3, True)])
async def test_the_daily_recompute_agrees_with_the_preview_on_every_operator(
    sessions: SessionFactory, parallelism: int, analyzed: bool
) -> None:
    """Every case as a saved rule: the full recompute's facts pass selects the same members."""
    config = SegmentConfig(parallelism=parallelism)
    ids = await population(sessions)
    names = {customer: name for name, customer in ids.items()}
    expected: dict[str, set[str]] = {}
    async with unit_of_work(sessions) as session:
        for number, (definition, members) in enumerate(CASES):
            body = SegmentIn(name=f"case {number}", definition=definition)
            expected[(await service.create_segment(session, body, NOW)).id] = members
    # Forget every rule membership, and add one that is wrong: the recompute must put back
    # exactly the members and take out the stranger.
    outsider = next(sid for sid, members in expected.items() if "dan" not in members)
    async with unit_of_work(sessions) as session:
        await session.execute(delete(Membership).where(Membership.segment_id.in_(list(expected))))
        session.add(Membership(segment_id=outsider, customer_id=ids["dan"], entered_at=NOW))
        if analyzed:
            await session.execute(text("ANALYZE customer_profiles"))
    async with unit_of_work(sessions) as session:
        counts = await recompute_all(session, config, NOW)
    assert (counts.entered, counts.exited) == (sum(map(len, expected.values())), 1)
    query = select(Membership.segment_id, Membership.customer_id).where(
        Membership.segment_id.in_(list(expected))
    )
    found: dict[str, set[str]] = {sid: set() for sid in expected}
    async with sessions() as session:
        for segment_id, customer_id in (await session.execute(query)).all():
            found[segment_id].add(names[customer_id])
    assert found == expected
    async with unit_of_work(sessions) as session:
        again = await recompute_all(session, config, NOW)
    assert (again.entered, again.exited) == (0, 0)
    async with sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            scratch = text("SELECT tablename FROM pg_tables WHERE tablename LIKE '%slice%'")
            assert (await session.execute(scratch)).all() == []
