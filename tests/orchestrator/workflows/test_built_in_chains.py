"""Each built-in chain's full path on the time-skipping server: days and weeks in seconds."""

from datetime import UTC, datetime, timedelta
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
from tests.orchestrator.recording import Services, chain_worker, purchase, start_chain


async def at_step(handle: WorkflowHandle, step: str) -> None:
    async def reached() -> bool:
        status: ChainStatus = await handle.query("status", result_type=ChainStatus)
        return status.step == step

    await wait_for(reached, f"step {step}")


async def test_second_purchase_thanks_then_content_reminder_and_recommendations(
    time_skipping: WorkflowEnvironment,
) -> None:
    services = Services()
    async with chain_worker(time_skipping, services) as queue:
        handle = await start_chain(time_skipping, queue, SECOND_PURCHASE)
        result: ChainResult = await handle.result()
    assert services.templates() == [
        "second_purchase_thanks",
        "second_purchase_usage",
        "second_purchase_bonus_reminder",
        "second_purchase_recommendations",
    ]
    assert result.exit_reason == "completed"


async def test_second_purchase_returned_goes_to_the_care_branch(
    time_skipping: WorkflowEnvironment,
) -> None:
    services = Services()
    async with chain_worker(time_skipping, services) as queue:
        handle = await start_chain(time_skipping, queue, SECOND_PURCHASE)
        await at_step(handle, "wait_usage")
        returned = CustomerEventV1(event_id="r1", event_type="purchase.returned")
        await handle.signal("customer_event", returned)
        result: ChainResult = await handle.result()
    assert services.templates() == ["second_purchase_thanks", "purchase_return_care"]
    assert result.exit_reason == "returned"


async def test_reactivation_grants_by_bucket_and_falls_back_when_the_push_bounces(
    time_skipping: WorkflowEnvironment,
) -> None:
    services = Services(undeliverable={"push"})
    async with chain_worker(time_skipping, services) as queue:
        handle = await start_chain(
            time_skipping, queue, REACTIVATION, payload={"segment_id": "recency.sleeping"}
        )
        result: ChainResult = await handle.result()
    assert [g.amount for g in services.grants.values()] == [500]
    assert [(m.template, m.channel) for m in services.sent] == [
        ("reactivation_offer", "sms"),
        ("reactivation_reminder", "sms"),
        ("reactivation_final", "email"),
    ]
    bounced = [m for m in services.deliveries.values() if m.channel == "push"]
    assert [m.template for m in bounced] == ["reactivation_reminder"]
    assert (result.exit_reason, result.touches) == ("completed", 3)


async def test_reactivation_at_risk_gets_the_largest_bonus_and_a_purchase_ends_it(
    time_skipping: WorkflowEnvironment,
) -> None:
    services = Services()
    async with chain_worker(time_skipping, services) as queue:
        handle = await start_chain(
            time_skipping, queue, REACTIVATION, payload={"segment_id": "recency.at_risk"}
        )
        await at_step(handle, "wait_reminder")
        await handle.signal("purchase", purchase())
        result: ChainResult = await handle.result()
    assert [g.amount for g in services.grants.values()] == [1000]
    assert services.templates() == ["reactivation_offer"]
    assert result.exit_reason == "purchase"


async def test_the_holdout_is_enrolled_and_tracked_but_receives_nothing(
    time_skipping: WorkflowEnvironment,
) -> None:
    services = Services()
    async with chain_worker(time_skipping, services) as queue:
        handle = await start_chain(
            time_skipping,
            queue,
            REACTIVATION,
            holdout=True,
            payload={"segment_id": "recency.cooling"},
        )
        result: ChainResult = await handle.result()
    assert services.deliveries == {} and services.grants == {}
    assert result.holdout and result.exit_reason == "completed"
    assert services.exits[0].holdout
    assert services.exits[0].last_touch_at is not None  # when its touches would have been


async def test_abandoned_cart_full_path_uses_the_refreshed_cart(
    time_skipping: WorkflowEnvironment,
) -> None:
    services = Services()
    async with chain_worker(time_skipping, services) as queue:
        handle = await start_chain(
            time_skipping, queue, ABANDONED_CART, payload={"cart_id": "c1", "total": 1000}
        )
        await at_step(handle, "wait_first_touch")
        refreshed = CustomerEventV1(
            event_id="u2", event_type="cart.updated", payload={"cart_id": "c1", "total": 2500}
        )
        await handle.signal("customer_event", refreshed)
        result: ChainResult = await handle.result()
    assert [(m.template, m.channel) for m in services.sent] == [
        ("cart_reminder", "email"),
        ("cart_push", "push"),
        ("cart_personal_offer", "email"),
        ("cart_last_call", "sms"),
    ]
    assert services.sent[0].variables["total"] == 2500
    assert result.exit_reason == "completed"


async def test_a_cleared_cart_cancels_the_abandoned_cart_chain(
    time_skipping: WorkflowEnvironment,
) -> None:
    services = Services()
    async with chain_worker(time_skipping, services) as queue:
        handle = await start_chain(time_skipping, queue, ABANDONED_CART, payload={"cart_id": "c"})
        await at_step(handle, "wait_first_touch")
        cleared = CustomerEventV1(event_id="x", event_type="cart.cleared", payload={"cart_id": "c"})
        await handle.signal("customer_event", cleared)
        result: ChainResult = await handle.result()
    assert services.sent == []
    assert result.exit_reason == "cart_cleared"


async def test_birthday_offer_reminder_and_greeting_at_ten_local_time(
    time_skipping: WorkflowEnvironment,
) -> None:
    services = Services(segments=["all_members"])
    async with chain_worker(time_skipping, services) as queue:
        handle = await start_chain(time_skipping, queue, BIRTHDAY, time_zone="Asia/Tokyo")
        result: ChainResult = await handle.result()
    assert [g.amount for g in services.grants.values()] == [500]
    assert services.templates() == ["birthday_offer", "birthday_reminder", "birthday_greeting"]
    greeting = next(m for m in services.sent if m.template == "birthday_greeting")
    offer = next(m for m in services.sent if m.template == "birthday_offer")
    sent_locally = services.sent_at[greeting.idempotency_key].astimezone(ZoneInfo("Asia/Tokyo"))
    offered_locally = services.sent_at[offer.idempotency_key].astimezone(ZoneInfo("Asia/Tokyo"))
    assert (sent_locally.hour, sent_locally.minute) == (10, 0)
    assert (sent_locally.date() - offered_locally.date()).days == 7
    assert result.exit_reason == "completed"


async def test_quarterly_bonus_cascade_and_burn_reminder_for_non_buyers(
    time_skipping: WorkflowEnvironment,
) -> None:
    services = Services(segments=["bought_last_quarter"])
    async with chain_worker(time_skipping, services) as queue:
        handle = await start_chain(time_skipping, queue, QUARTERLY_BONUS)
        result: ChainResult = await handle.result()
    grant = next(iter(services.grants.values()))
    assert (grant.amount, grant.lifetime_days) == (1000, 21)
    announce, reminder = services.sent
    assert announce.channels == ["push", "email", "sms"]
    assert announce.reaction_window_seconds == 3600
    assert announce.sms_only_if_no_other_channel
    assert announce.notifier_body()["channels"] == ["push", "email", "sms"]
    assert reminder.template == "quarterly_bonus_burning"
    assert services.sent_at[reminder.idempotency_key] - services.sent_at[
        announce.idempotency_key
    ] >= timedelta(days=14)
    assert result.exit_reason == "completed"


async def test_quarterly_bonus_skips_customers_outside_its_audience(
    time_skipping: WorkflowEnvironment,
) -> None:
    services = Services(segments=[])
    async with chain_worker(time_skipping, services) as queue:
        result: ChainResult = await (
            await start_chain(time_skipping, queue, QUARTERLY_BONUS)
        ).result()
    assert result.exit_reason == "not_in_audience"
    assert services.grants == {} and services.deliveries == {}


async def test_burning_points_reminder_carries_amount_and_date(
    time_skipping: WorkflowEnvironment,
) -> None:
    services = Services()
    expires = datetime(2026, 12, 31, tzinfo=UTC).isoformat()
    async with chain_worker(time_skipping, services) as queue:
        handle = await start_chain(
            time_skipping, queue, BURNING_POINTS, payload={"amount": 700, "expires_at": expires}
        )
        await handle.result()
    (reminder,) = services.sent
    assert reminder.variables == {"amount": 700, "expires_at": expires}
    assert reminder.channel == "push"
