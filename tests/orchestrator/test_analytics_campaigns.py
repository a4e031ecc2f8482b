"""Campaigns measured against their holdout: the draw and the per-member outcomes as pure
functions, then end to end through the real campaign workflow on the dev server, the real
NATS consumers and PostgreSQL, with loyalty's real API valuing points."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kit.bus import EventBus
from kit.contracts.loyalty import LotPoints
from kit.contracts.notifier import MessagePayload, MessageSent
from kit.stack import Infra
from kit.testing import wait_for
from orchestrator.analytics import PRE_PERIOD, campaign_outcomes
from orchestrator.campaigns.activities import held_out
from orchestrator.definitions.facts import in_holdout
from tests.orchestrator.conftest import Orchestrator, serving_segments
from tests.orchestrator.recording import SEGMENT_MEMBERS
from tests.orchestrator.test_analytics import purchase

NOW = datetime(2026, 3, 2, 10, tzinfo=UTC)
WINDOW = timedelta(days=14)


def test_the_holdout_is_the_chains_stable_draw_keyed_by_the_campaign() -> None:
    sides = held_out("c-1", SEGMENT_MEMBERS, 0.2)
    assert sides == {m: in_holdout("c-1", m, 0.2) for m in SEGMENT_MEMBERS}
    assert 25 <= sum(sides.values()) <= 75  # 20 % of 250, give or take three sigma
    assert held_out("c-2", SEGMENT_MEMBERS, 0.2) != sides  # each campaign its own draw
    assert not any(held_out("c-1", SEGMENT_MEMBERS, 0.0).values())


def test_a_member_counts_what_he_bought_within_the_window_after_being_reached() -> None:
    members = [("t1", False, NOW), ("t2", False, NOW), ("h1", True, NOW), ("h2", True, NOW)]
    purchases = [
        ("t1", NOW + timedelta(days=1), 5_000, 1_000),  # a partial return comes off
        ("t1", NOW + timedelta(days=3), 2_000, 0),  # a campaign ends nothing: both count
        ("t2", NOW + WINDOW + timedelta(seconds=1), 9_000, 0),  # too late
        ("t2", NOW - timedelta(days=10), 700, 0),  # the pre-period
        ("h1", NOW + timedelta(days=13), 4_000, 0),  # the holdout's purchases count for it
        ("h2", NOW - PRE_PERIOD - timedelta(days=1), 300, 0),  # before the pre-period
    ]
    outcomes = campaign_outcomes(members, purchases, WINDOW)
    assert outcomes.treated.converted == [True, False]
    assert outcomes.treated.revenue == [6_000.0, 0.0]
    assert outcomes.treated.pre_spend == [0.0, 700.0]
    assert (outcomes.treated.attributed, outcomes.treated.returned) == (6_000, 1_000)
    assert outcomes.holdout.converted == [True, False]
    assert outcomes.holdout.revenue == [4_000.0, 0.0]
    assert outcomes.holdout.pre_spend == [0.0, 0.0]


@pytest.fixture
async def segments_url(infra: Infra) -> AsyncIterator[str]:
    """The real segments API: a campaign's segment must exist there."""
    async with serving_segments(infra) as url:
        yield url


@pytest.mark.usefixtures("consumers")
async def test_the_holdout_gets_nothing_and_its_purchases_count_for_it(
    orchestrator: Orchestrator, bus: EventBus
) -> None:
    api = orchestrator.api
    body = {
        "name": "double points weekend",
        "segment": "all_members",
        "grant": {"amount": 500, "lifetime_days": 3},
        "message": {"template": "mass_bonus", "channels": ["email"]},
        "rate_per_second": 1000,
        "holdout_share": 0.5,
        "attribution_window_days": 7,
    }
    created = await api.post("/campaigns", json=body)
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]
    assert (created.json()["holdout_share"], created.json()["attribution_window_days"]) == (0.5, 7)
    assert (await api.post(f"/campaigns/{campaign_id}/start")).status_code == 200

    async def completed() -> dict[str, Any] | None:
        found = (await api.get(f"/campaigns/{campaign_id}")).json()
        return found if found["status"] == "completed" else None

    done = await wait_for(completed, "the campaign to complete", timeout=120)
    holdout = [m for m in SEGMENT_MEMBERS if in_holdout(campaign_id, m, 0.5)]
    treated = [m for m in SEGMENT_MEMBERS if m not in holdout]
    assert done["progress"]["processed"] == 250 and done["progress"]["granted"] == len(treated)
    services = orchestrator.services
    assert sorted(services.granted_members()) == treated
    assert sorted(d.customer_id for d in services.deliveries.values()) == treated

    now = datetime.now(UTC)
    # The late one (after the 7-day window) first: it is in when the others are.
    bought = [(holdout[1], 50_000, now + timedelta(days=8))]
    bought += [(holdout[0], 10_000, now), (treated[0], 30_000, now)]
    # The campaign's own points paid for part of the treated purchase: a cost, at 1.00 each.
    own = LotPoints(
        lot_id="lot-c", points=200, source="campaign", reference=f"campaign:{campaign_id}"
    )
    for customer, paid, at in bought:
        event = purchase(customer, paid, [own] if customer == treated[0] else None)
        await bus.publish(
            event.model_copy(
                update={"payload": event.payload.model_copy(update={"purchased_at": at})}
            )
        )
    sms = MessagePayload(
        delivery_id=str(uuid.uuid4()),
        channel="sms",
        template="mass_bonus",
        source_ref=f"campaign:{campaign_id}",
        segments=2,
    )
    await bus.publish(MessageSent(customer_id=treated[1], payload=sms))

    async def measured() -> dict[str, Any] | None:
        answer = await api.get(f"/analytics/campaigns/{campaign_id}")
        assert answer.status_code == 200, answer.text
        total: dict[str, Any] = answer.json()["total"]
        counted = sum(total["conversions"].values()) >= 2 and total["cost"]["sms_segments"]
        return total if counted else None

    total = await wait_for(measured, "both purchases in the campaign's figures", timeout=120)
    assert (total["treated"], total["holdout"]) == (len(treated), len(holdout))
    assert total["conversions"] == {"treated": 1, "holdout": 1}  # the late one is outside
    assert total["revenue_per_customer"]["holdout"] == pytest.approx(10_000 / len(holdout))
    assert total["revenue_per_customer"]["treated"] == pytest.approx(30_000 / len(treated))
    assert total["attributed_revenue"] == 30_000
    assert total["points_granted"] == 500 * len(treated)
    assert total["messages_by_channel"] == {"sms": {"sent": 1, "failed": 0, "cost": 12}}
    assert total["cost"] == {
        "messages": 12,
        "sms_segments": 2,
        "points_redeemed": 200,
        "points": 20_000,  # loyalty: a point pays for 100 minor units
        "total": 20_012,
    }
    incremental = 30_000 / len(treated) - 10_000 / len(holdout)
    assert total["incremental_revenue"]["estimate"] == round(incremental * len(treated))
    missing = await api.get("/analytics/campaigns/nope")
    assert (missing.status_code, missing.json()["code"]) == (404, "campaign_not_found")
