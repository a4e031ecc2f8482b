"""Enrollment through the real consumers: triggers, re-entry policies, purchases routed to every
running enrollment, message events, and the analytics built from them."""

import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx
import pytest

from kit.bus import EventBus
from kit.contracts.gateway import CartCleared, CartClearedPayload, CartUpdated, CartUpdatedPayload
from kit.contracts.loyalty import (
    MemberRegistered,
    MemberRegisteredPayload,
    PurchaseConfirmed,
    PurchaseConfirmedPayload,
)
from kit.contracts.notifier import MessagePayload, MessageSent
from kit.testing import wait_for
from tests.orchestrator.conftest import Orchestrator

pytestmark = pytest.mark.usefixtures("consumers", "templates")


@pytest.fixture
async def templates(orchestrator: Orchestrator) -> None:
    await orchestrator.notifier.install("cart_reminder", "welcome")


def purchase(customer_id: str, paid: int = 5000, redeemed: int = 0) -> PurchaseConfirmed:
    payload = PurchaseConfirmedPayload(
        txid=str(uuid.uuid4()),
        store_id="s1",
        channel="offline",
        lines=[],
        total_amount=paid + redeemed,
        paid_amount=paid,
        redeemed_points=redeemed,
        accrued_points=0,
        purchased_at=datetime.now(UTC),
    )
    return PurchaseConfirmed(customer_id=customer_id, payload=payload)


async def sent(orchestrator: Orchestrator, customer_id: str, count: int) -> bool:
    return len(await orchestrator.notifier.sent(customer_id)) == count


async def enrollment(api: httpx.AsyncClient, chain_id: str, customer_id: str) -> dict[str, Any]:
    answer = await api.get(f"/chains/{chain_id}/enrollments/{customer_id}")
    return answer.json() if answer.status_code == 200 else {}


async def exited(api: httpx.AsyncClient, chain_id: str, customer_id: str) -> dict[str, Any]:
    found = await enrollment(api, chain_id, customer_id)
    return found if found.get("exit_reason") else {}


def chain_body(chain_id: str, reentry: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": chain_id,
        "name": chain_id,
        "trigger": {"kind": "event", "event": "cart.updated"},
        "audience": reentry,
        "steps": [
            {"kind": "send", "id": "nudge", "template": "cart_reminder"},
            {"kind": "wait", "id": "hold", "wait": {"type": "duration", "duration": "P1D"}},
        ],
        "exits": {"on_events": ["cart.cleared"]},
        **extra,
    }


async def publish_chain(api: httpx.AsyncClient, body: dict[str, Any]) -> None:
    assert (await api.post("/chains", json=body)).status_code == 201
    assert (await api.post(f"/chains/{body['id']}/publish")).status_code == 200


async def test_a_registration_starts_welcome_and_a_purchase_ends_it(
    orchestrator: Orchestrator, bus: EventBus
) -> None:
    notifier = orchestrator.notifier
    customer = await notifier.customer()
    payload = MemberRegisteredPayload(email="a@example.com", time_zone="Europe/Berlin")
    await bus.publish(MemberRegistered(customer_id=customer, payload=payload))
    assert await wait_for(lambda: notifier.templates(customer), "the welcome") == ["welcome"]
    await bus.publish(purchase(customer))
    done = await wait_for(lambda: exited(orchestrator.api, "welcome", customer), "the exit")
    assert (done["exit_reason"], done["touches"]) == ("purchase", 1)
    report = (await orchestrator.api.get("/analytics/chains/welcome")).json()["versions"][0]
    assert report["conversions"] == {"treated": 1, "holdout": 0}
    assert report["attributed_revenue"] == 5000
    assert report["exited"] == {"purchase": 1}


async def test_a_purchase_reaches_every_running_enrollment_of_the_customer(
    orchestrator: Orchestrator, bus: EventBus
) -> None:
    api, customer = orchestrator.api, await orchestrator.notifier.customer()
    for chain_id in ("one", "two"):
        await publish_chain(api, chain_body(chain_id, {"reentry": "after_exit"}))
        await api.post(f"/chains/{chain_id}/enrollments", json={"customer_id": customer})
    await wait_for(lambda: sent(orchestrator, customer, 2), "both chains' first messages")
    await bus.publish(purchase(customer))
    for chain_id in ("one", "two"):
        done = await wait_for(partial(exited, api, chain_id, customer), f"{chain_id} ends")
        assert done["exit_reason"] == "purchase"


async def test_reentry_never_after_exit_and_after_cooldown(
    orchestrator: Orchestrator, bus: EventBus
) -> None:
    api = orchestrator.api
    policies = {
        "never_again": {"reentry": "never"},
        "again": {"reentry": "after_exit"},
        "cooled": {"reentry": "after_cooldown", "cooldown": "P30D"},
    }
    for chain_id, policy in policies.items():
        await publish_chain(api, chain_body(chain_id, policy))
    customer = await orchestrator.notifier.customer()
    cart = CartUpdatedPayload(cart_id="c", items=[], total=100)
    await bus.publish(CartUpdated(customer_id=customer, payload=cart))
    await wait_for(lambda: sent(orchestrator, customer, 3), "three enrollments")
    await bus.publish(CartCleared(customer_id=customer, payload=CartClearedPayload(cart_id="c")))
    for chain_id in policies:
        done = await wait_for(partial(exited, api, chain_id, customer), f"{chain_id} ends")
        assert done["exit_reason"] == "cart_cleared"

    again = {
        c: await api.post(f"/chains/{c}/enrollments", json={"customer_id": customer})
        for c in policies
    }
    assert {c: r.status_code for c, r in again.items()} == {
        "never_again": 409,
        "again": 201,
        "cooled": 409,
    }
    assert again["never_again"].json()["code"] == "enrollment_refused"


async def test_message_events_feed_the_chain_and_its_costs(
    orchestrator: Orchestrator, bus: EventBus
) -> None:
    api, customer = orchestrator.api, await orchestrator.notifier.customer()
    await publish_chain(api, chain_body("costed", {"reentry": "after_exit"}))
    await api.post("/chains/costed/enrollments", json={"customer_id": customer})
    await wait_for(lambda: sent(orchestrator, customer, 1), "the message")
    for channel in ("email", "sms"):
        message = MessagePayload(
            delivery_id=str(uuid.uuid4()),
            channel=channel,
            template="cart_reminder",
            source_ref="chain:costed:v1:nudge",
        )
        await bus.publish(MessageSent(customer_id=customer, payload=message))

    async def costed() -> dict[str, Any] | None:
        report = (await api.get("/analytics/chains/costed")).json()["versions"][0]
        return report if len(report["messages_by_channel"]) == 2 else None

    report = await wait_for(costed, "the messages in the report")
    assert report["messages_by_channel"] == {
        "email": {"sent": 1, "failed": 0, "cost": 1},
        "sms": {"sent": 1, "failed": 0, "cost": 6},
    }
    assert report["steps"]["nudge"]["messages"] == {"email": 1, "sms": 1}
    assert (report["enrolled"], report["active"]) == (1, 1)


async def test_uplift_over_the_holdout_with_a_confidence_interval(
    orchestrator: Orchestrator, bus: EventBus
) -> None:
    api = orchestrator.api
    await publish_chain(api, chain_body("split", {"reentry": "after_exit"}, holdout_share=0.5))
    customers = [await orchestrator.notifier.customer() for _ in range(16)]
    holdout = []
    for customer in customers:
        answer = (
            await api.post("/chains/split/enrollments", json={"customer_id": customer})
        ).json()
        if answer["holdout"]:
            holdout.append(customer)
    treated = [c for c in customers if c not in holdout]
    assert holdout and treated
    buyers = treated[: max(1, len(treated) // 2)] + holdout[:1]
    for customer in buyers:
        await bus.publish(purchase(customer, paid=2000))

    async def converted() -> dict[str, Any] | None:
        report = (await api.get("/analytics/chains/split")).json()["versions"][0]
        total = report["conversions"]["treated"] + report["conversions"]["holdout"]
        return report if total == len(buyers) else None

    report = await wait_for(converted, "every conversion")
    assert (report["treated"], report["holdout"]) == (len(treated), len(holdout))
    assert report["messages_by_channel"] == {}  # no message events were published here
    lift = report["uplift"]
    assert lift["treated_rate"] == round((len(buyers) - 1) / len(treated), 6)
    assert lift["holdout_rate"] == round(1 / len(holdout), 6)
    assert lift["ci95_low"] < lift["difference"] < lift["ci95_high"]
    assert report["attributed_revenue"] == 2000 * (len(buyers) - 1)
