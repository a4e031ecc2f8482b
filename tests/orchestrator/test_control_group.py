"""The global control group: who is in it, month by month, and that chains (real consumers,
real workflows) and campaigns (the real workflow on the time-skipping server) leave its members
alone; the programme's incremental revenue against it."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kit.bus import EventBus
from kit.clock import utcnow
from kit.contracts.gateway import CartUpdated, CartUpdatedPayload
from kit.contracts.loyalty import MemberRegistered, MemberRegisteredPayload
from kit.db import create_engine, session_factory, unit_of_work
from kit.migrations import upgrade_async
from kit.stack import Infra
from kit.testing import migrated_database, wait_for
from orchestrator import analytics, analytics_repository, control
from orchestrator.control import ShareHistory, bucket, in_control, month_figures
from orchestrator.definitions.facts import in_holdout
from tests.orchestrator.conftest import Orchestrator
from tests.orchestrator.recording import SEGMENT_MEMBERS
from tests.orchestrator.test_analytics import purchase
from tests.orchestrator.test_campaigns import Campaigns, campaigns  # noqa: F401

JAN, FEB, MAR = (datetime(2026, m, 1, tzinfo=UTC) for m in (1, 2, 3))


def test_about_the_share_of_customers_is_drawn_and_raising_it_keeps_the_members() -> None:
    customers = [str(uuid.uuid4()) for _ in range(20_000)]
    five = {c for c in customers if in_control(c, 500)}
    ten = {c for c in customers if in_control(c, 1000)}
    assert 0.045 < len(five) / len(customers) < 0.055
    assert five < ten  # nested: a raise only adds customers
    chain_holdout = {c for c in customers if in_holdout("winback", c, 0.05)}
    assert len(chain_holdout & five) < len(five) / 5  # drawn apart from every chain's holdout


def test_the_share_in_force_changes_only_from_its_moment_on() -> None:
    shares = ShareHistory(((JAN, 500), (FEB + timedelta(days=10), 1000)))
    assert shares.at(JAN - timedelta(seconds=1)) == 0
    assert shares.at(FEB) == 500 and shares.at(MAR) == 1000
    assert shares.during(JAN, FEB) == (500, 500)
    assert shares.during(FEB, MAR) == (500, 1000)


def test_a_month_compares_members_known_before_it_and_on_one_side_all_month() -> None:
    shares = ShareHistory(((JAN, 2000), (FEB + timedelta(days=10), 4000)))
    ids = [str(uuid.uuid4()) for _ in range(400)]
    members = [(c, JAN - timedelta(days=1)) for c in ids] + [("newcomer", FEB + timedelta(days=1))]
    spend = {(FEB, c): (1000.0 if bucket(c) < 2000 else 3000.0) for c in ids}
    spend[(FEB, "newcomer")] = 99_000.0
    figures = month_figures(FEB, MAR, shares, members, spend)
    switched = sum(2000 <= bucket(c) < 4000 for c in ids)
    control_size = sum(bucket(c) < 2000 for c in ids)
    assert figures["control"] == control_size
    assert figures["marketed"] == len(ids) - control_size - switched
    assert figures["revenue_per_member"]["difference"] == 2000.0
    assert figures["incremental_revenue"]["estimate"] == 2000 * figures["marketed"]


def customers_on_each_side(share_bp: int) -> tuple[str, str]:
    found: dict[bool, str] = {}
    while len(found) < 2:
        customer = str(uuid.uuid4())
        found.setdefault(in_control(customer, share_bp), customer)
    return found[True], found[False]


@pytest.mark.usefixtures("consumers")
async def test_a_chain_skips_the_control_group_and_the_programme_is_measured_against_it(
    orchestrator: Orchestrator, bus: EventBus
) -> None:
    api, notifier = orchestrator.api, orchestrator.notifier
    await notifier.install("cart_reminder")
    changed = await api.put("/control-group", json={"share": 0.5})
    assert changed.status_code == 200 and changed.json()["share"] == 0.5
    assert (await api.put("/control-group", json={"share": 0.9})).status_code == 422
    chain = {
        "id": "nudge",
        "name": "nudge",
        "trigger": {"kind": "event", "event": "cart.updated"},
        "steps": [{"kind": "send", "id": "mail", "template": "cart_reminder"}],
    }
    assert (await api.post("/chains", json=chain)).status_code == 201
    assert (await api.post("/chains/nudge/publish")).status_code == 200
    held, marketed = customers_on_each_side(5000)
    for customer in (held, marketed):
        await notifier.customer(customer_id=customer)
        cart = CartUpdatedPayload(cart_id="c", items=[], total=100)
        await bus.publish(CartUpdated(customer_id=customer, payload=cart))
    await wait_for(lambda: notifier.templates(marketed), "the marketed customer's message")
    assert await notifier.templates(held) == []
    assert (await api.get(f"/chains/nudge/enrollments/{held}")).status_code == 404
    refused = await api.post("/chains/nudge/enrollments", json={"customer_id": held})
    assert refused.json()["code"] == "enrollment_refused"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_member_heard_of_first_by_his_purchase_is_dated_from_his_registration(
    backend: str, sqlite_url: str, infra: Infra
) -> None:
    # Registrations and purchases come on two streams: under load a customer's purchase is
    # often consumed before his registration, which must still date him (else he is no
    # member "known before the month" and drops out of the month's comparison).
    if backend == "sqlite":
        url = sqlite_url
        await upgrade_async("orchestrator:migrations", url)
    else:
        url = await migrated_database(infra, "orchestrator")
    engine = create_engine(url)
    sessions = session_factory(engine)
    customer, registered_at = str(uuid.uuid4()), utcnow() - timedelta(days=40)
    registered = MemberRegistered(
        customer_id=customer, payload=MemberRegisteredPayload(), occurred_at=registered_at
    )
    for event in (purchase(customer, 1000), registered, purchase(customer, 500)):
        async with unit_of_work(sessions) as session:
            if isinstance(event, MemberRegistered):
                await analytics.record_member(session, event)
            else:
                await analytics.record_purchase(session, event)
    async with unit_of_work(sessions) as session:
        members = await analytics_repository.programme_members(session)
    await engine.dispose()
    assert members == [(customer, registered_at)]


@pytest.mark.usefixtures("consumers")
async def test_the_programme_report_per_month_against_the_control_group(
    orchestrator: Orchestrator, bus: EventBus
) -> None:
    engine = create_engine(orchestrator.settings.database_url)
    last_month = utcnow().replace(day=1) - timedelta(days=20)
    async with unit_of_work(session_factory(engine)) as session:
        await analytics_repository.add_control_share(session, last_month, 5000)
    await engine.dispose()
    people = [str(uuid.uuid4()) for _ in range(40)]
    for customer in people:
        registered = MemberRegistered(
            customer_id=customer, payload=MemberRegisteredPayload(), occurred_at=last_month
        )
        await bus.publish(registered)
        await bus.publish(purchase(customer, 1000 if in_control(customer, 5000) else 3000))

    async def reported() -> dict[str, Any] | None:
        answer = await orchestrator.api.get("/analytics/programme?months=2")
        assert answer.status_code == 200, answer.text
        month: dict[str, Any] = answer.json()["months"][-1]
        counted = month["control"] + month["marketed"] == len(people)
        means = month["revenue_per_member"] or {}
        paid = (means.get("treated"), means.get("holdout")) == (3000, 1000)
        return month if counted and paid else None

    month = await wait_for(reported, "every member and purchase", timeout=300)
    held = sum(in_control(c, 5000) for c in people)
    assert (month["control"], month["marketed"]) == (held, len(people) - held)
    assert month["revenue_per_member"]["difference"] == 2000
    assert month["incremental_revenue"]["estimate"] == 2000 * (len(people) - held)


async def test_a_campaign_skips_the_control_group(campaigns: Campaigns) -> None:  # noqa: F811
    async with unit_of_work(campaigns.sessions) as session:
        await control.change_share(session, 2000, utcnow() - timedelta(seconds=1))
    campaign = await campaigns.new()
    progress = await (await campaigns.start(campaign)).result()
    marketed = [m for m in SEGMENT_MEMBERS if not in_control(m, 2000)]
    assert 0 < len(marketed) < len(SEGMENT_MEMBERS)
    assert sorted(campaigns.services.granted_members()) == marketed
    assert sorted(d.customer_id for d in campaigns.services.deliveries.values()) == marketed
    assert (progress.granted, progress.sent) == (len(marketed), len(marketed))
