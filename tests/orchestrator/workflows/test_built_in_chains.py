"""Each built-in chain's full path on the time-skipping server: days and weeks in seconds.

Messages go to the real notifier's DeliveryWorkflow (child workflows on its queue); what left
is read from the notifier's deliveries."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from kit.testing import wait_for
from orchestrator.definitions.builtin import (
    ABANDONED_CART,
    BIRTHDAY,
    BURNING_POINTS,
    QUARTERLY_BONUS,
    REACTIVATION,
    SECOND_PURCHASE,
)
from orchestrator.workflows.messages import ChainResult, ChainStatus, CustomerEventV1
from tests.orchestrator.delivering import Notifier, chain_worker, customer_of
from tests.orchestrator.recording import Services, purchase


async def at_step(handle: WorkflowHandle, step: str) -> None:
    async def reached() -> bool:
        status: ChainStatus = await handle.query("status", result_type=ChainStatus)
        return status.step == step

    await wait_for(reached, f"step {step}")


async def test_second_purchase_thanks_then_content_reminder_and_recommendations(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    async with chain_worker(time_skipping, Services(), skipping_notifier) as chains:
        handle = await chains.start(SECOND_PURCHASE)
        result: ChainResult = await handle.result()
    assert await skipping_notifier.templates(customer_of(handle)) == [
        "second_purchase_thanks",
        "second_purchase_usage",
        "second_purchase_bonus_reminder",
        "second_purchase_recommendations",
    ]
    assert result.exit_reason == "completed"


async def test_second_purchase_returned_goes_to_the_care_branch(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    async with chain_worker(time_skipping, Services(), skipping_notifier) as chains:
        handle = await chains.start(SECOND_PURCHASE)
        await at_step(handle, "wait_usage")
        returned = CustomerEventV1(event_id="r1", event_type="purchase.returned")
        await handle.signal("customer_event", returned)
        result: ChainResult = await handle.result()
    assert await skipping_notifier.templates(customer_of(handle)) == [
        "second_purchase_thanks",
        "purchase_return_care",
    ]
    assert result.exit_reason == "returned"


async def test_reactivation_grants_by_bucket_and_falls_back_when_the_push_bounces(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    services = Services()
    customer = await skipping_notifier.customer(push="invalid")
    async with chain_worker(time_skipping, services, skipping_notifier) as chains:
        handle = await chains.start(
            REACTIVATION, customer, payload={"segment_id": "recency.sleeping"}
        )
        result: ChainResult = await handle.result()
    assert [g.amount for g in services.grants.values()] == [500]
    deliveries = await skipping_notifier.deliveries(customer)
    # The default templates say how many points and until when: the chain passes both.
    assert deliveries[0].variables["points"] == 500
    assert datetime.fromisoformat(deliveries[0].variables["points_expire_at"]) > datetime.now(UTC)
    assert [(d.template, d.channel, d.status) for d in deliveries] == [
        ("reactivation_offer", "sms", "sent"),
        ("reactivation_reminder", "push", "failed"),  # the provider refused the token
        ("reactivation_reminder", "sms", "sent"),
        ("reactivation_final", "email", "sent"),
    ]
    assert (result.exit_reason, result.touches) == ("completed", 3)


async def test_reactivation_at_risk_gets_the_largest_bonus_and_a_purchase_ends_it(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    services = Services()
    async with chain_worker(time_skipping, services, skipping_notifier) as chains:
        handle = await chains.start(REACTIVATION, payload={"segment_id": "recency.at_risk"})
        await at_step(handle, "wait_reminder")
        await handle.signal("purchase", purchase())
        result: ChainResult = await handle.result()
    assert [g.amount for g in services.grants.values()] == [1000]
    assert await skipping_notifier.templates(customer_of(handle)) == ["reactivation_offer"]
    assert result.exit_reason == "purchase"


async def test_the_holdout_is_enrolled_and_tracked_but_receives_nothing(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    services = Services()
    async with chain_worker(time_skipping, services, skipping_notifier) as chains:
        handle = await chains.start(
            REACTIVATION, holdout=True, payload={"segment_id": "recency.cooling"}
        )
        result: ChainResult = await handle.result()
    assert await skipping_notifier.deliveries(customer_of(handle)) == []
    assert services.grants == {}
    assert result.holdout and result.exit_reason == "completed"
    assert services.exits[0].holdout
    assert services.exits[0].last_touch_at is not None  # when its touches would have been


def cart(total: int) -> dict[str, Any]:
    """A cart.updated payload: one line worth `total`."""
    return {
        "cart_id": "c1",
        "items": [{"sku": "LAMP-01", "category": None, "quantity": 1, "price": total}],
        "total": total,
    }


async def test_abandoned_cart_full_path_uses_the_refreshed_cart(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    async with chain_worker(time_skipping, Services(), skipping_notifier) as chains:
        handle = await chains.start(ABANDONED_CART, payload=cart(1000))
        await at_step(handle, "wait_first_touch")
        refreshed = CustomerEventV1(event_id="u2", event_type="cart.updated", payload=cart(2500))
        await handle.signal("customer_event", refreshed)
        result: ChainResult = await handle.result()
    sent = await skipping_notifier.sent(customer_of(handle))
    assert [(d.template, d.channel) for d in sent] == [
        ("cart_reminder", "email"),
        ("cart_push", "push"),
        ("cart_personal_offer", "email"),
        ("cart_last_call", "sms"),
    ]
    assert sent[0].variables["total"] == 2500
    assert sent[0].variables["cart"] == cart(2500)["items"]
    assert result.exit_reason == "completed"


async def test_a_cleared_cart_cancels_the_abandoned_cart_chain(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    async with chain_worker(time_skipping, Services(), skipping_notifier) as chains:
        handle = await chains.start(ABANDONED_CART, payload={"cart_id": "c"})
        await at_step(handle, "wait_first_touch")
        cleared = CustomerEventV1(event_id="x", event_type="cart.cleared", payload={"cart_id": "c"})
        await handle.signal("customer_event", cleared)
        result: ChainResult = await handle.result()
    assert await skipping_notifier.deliveries(customer_of(handle)) == []
    assert result.exit_reason == "cart_cleared"


async def test_birthday_offer_reminder_and_greeting_at_ten_local_time(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    services = Services(segments=["all_members"])
    async with chain_worker(time_skipping, services, skipping_notifier) as chains:
        handle = await chains.start(BIRTHDAY, time_zone="Asia/Tokyo")
        result: ChainResult = await handle.result()
    assert [g.amount for g in services.grants.values()] == [500]
    sent = await skipping_notifier.sent(customer_of(handle))
    assert [d.template for d in sent] == [
        "birthday_offer",
        "birthday_reminder",
        "birthday_greeting",
    ]
    at = {d.template: await skipping_notifier.child_started_at(d.key) for d in sent}
    greeted = at["birthday_greeting"].astimezone(ZoneInfo("Asia/Tokyo"))
    offered = at["birthday_offer"].astimezone(ZoneInfo("Asia/Tokyo"))
    assert (greeted.hour, greeted.minute) == (10, 0)
    assert (greeted.date() - offered.date()).days == 7
    assert result.exit_reason == "completed"


async def test_quarterly_bonus_cascade_and_burn_reminder_for_non_buyers(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    services = Services(segments=["bought_last_quarter"])
    async with chain_worker(time_skipping, services, skipping_notifier) as chains:
        handle = await chains.start(QUARTERLY_BONUS)
        result: ChainResult = await handle.result()
    grant = next(iter(services.grants.values()))
    assert (grant.amount, grant.lifetime_days) == (1000, 21)
    announce, reminder = await skipping_notifier.sent(customer_of(handle))
    assert announce.channels == ["push", "email", "sms"]
    assert announce.sms_only_if_no_other_channel
    # No click on the push within the hour: the email went out; no SMS where email reaches.
    assert await skipping_notifier.attempts(announce.key) == [
        ("push", "sent"),
        ("email", "sent"),
        ("sms", "skipped"),
    ]
    assert reminder.template == "quarterly_bonus_burning"
    announced = await skipping_notifier.child_started_at(announce.key)
    reminded = await skipping_notifier.child_started_at(reminder.key)
    assert reminded - announced >= timedelta(days=14, hours=2)  # after the cascade's two hours
    assert result.exit_reason == "completed"


async def test_quarterly_bonus_skips_customers_outside_its_audience(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    services = Services(segments=[])
    async with chain_worker(time_skipping, services, skipping_notifier) as chains:
        handle = await chains.start(QUARTERLY_BONUS)
        result: ChainResult = await handle.result()
    assert result.exit_reason == "not_in_audience"
    assert services.grants == {}
    assert await skipping_notifier.deliveries(customer_of(handle)) == []


async def test_burning_points_reminder_carries_amount_and_date(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    expires = datetime(2026, 12, 31, tzinfo=UTC).isoformat()
    async with chain_worker(time_skipping, Services(), skipping_notifier) as chains:
        handle = await chains.start(BURNING_POINTS, payload={"amount": 700, "expires_at": expires})
        await handle.result()
    (reminder,) = await skipping_notifier.sent(customer_of(handle))
    assert reminder.variables == {"amount": 700, "expires_at": expires}
    assert reminder.channel == "push"
