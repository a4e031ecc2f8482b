"""The interpreter's guarantees: idempotent side effects under retries and re-runs, exits,
waits, events; messages through the real notifier's DeliveryWorkflow as child workflows."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from kit.stack import Infra
from kit.testing import TEST_SERVER, wait_for
from orchestrator.definitions.builtin import REACTIVATION
from orchestrator.definitions.model import ChainDefinition
from orchestrator.workflows.messages import ChainResult, MessageEventV1, PurchaseSignalV2
from tests.orchestrator.delivering import (
    Notifier,
    Sinks,
    chain_worker,
    customer_of,
    running_notifier,
)
from tests.orchestrator.recording import Services, purchase
from tests.orchestrator.workflows.test_built_in_chains import at_step


def chain(steps: list[dict[str, Any]], **extra: Any) -> ChainDefinition:
    return ChainDefinition.model_validate(
        {
            "id": "t",
            "name": "test",
            "trigger": {"kind": "event", "event": "member.registered"},
            "steps": steps,
            **extra,
        }
    )


def send(step_id: str, *channels: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "send",
        "id": step_id,
        "template": step_id,
        "channels": list(channels or ["email"]),
        **extra,
    }


def wait(step_id: str, duration: str) -> dict[str, Any]:
    return {"kind": "wait", "id": step_id, "wait": {"type": "duration", "duration": duration}}


async def test_a_retried_grant_and_a_rerun_trigger_never_grant_or_send_twice(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    services = Services(fail_first_attempt=True)
    customer, trigger = await skipping_notifier.customer(), str(uuid.uuid4())
    payload = {"segment_id": "recency.cooling"}
    async with chain_worker(time_skipping, services, skipping_notifier) as chains:
        for _ in range(2):  # the same trigger event delivered twice, one run after the other
            handle = await chains.start(REACTIVATION, customer, payload=payload, event_id=trigger)
            result: ChainResult = await handle.result()
            assert (result.exit_reason, result.touches) == ("completed", 3)
    # Each run's first grant answer was lost and Temporal retried it: one key, one grant.
    assert len(services.grant_attempts) == 4
    assert len({g.idempotency_key for g in services.grant_attempts}) == 1
    assert len(services.grants) == 1
    # The second run found each delivery started before: nothing was sent again.
    deliveries = await skipping_notifier.deliveries(customer)
    assert [(d.template, d.channel) for d in deliveries] == [
        ("reactivation_offer", "sms"),
        ("reactivation_reminder", "push"),
        ("reactivation_final", "email"),
    ]
    for delivery in deliveries:
        assert len(await skipping_notifier.attempts(delivery.key)) == 1


async def test_max_touches_ends_the_chain_before_the_next_send(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    definition = chain(
        [send("a"), wait("w1", "P1D"), send("b"), wait("w2", "P1D"), send("c")],
        exits={"max_touches": 2},
    )
    async with chain_worker(time_skipping, Services(), skipping_notifier) as chains:
        handle = await chains.start(definition)
        result: ChainResult = await handle.result()
    assert await skipping_notifier.templates(customer_of(handle)) == ["a", "b"]
    assert result.exit_reason == "max_touches"


async def test_max_duration_cuts_a_long_wait(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    definition = chain([send("a"), wait("w", "P30D"), send("b")], exits={"max_duration": "P2D"})
    async with chain_worker(time_skipping, Services(), skipping_notifier) as chains:
        handle = await chains.start(definition)
        result: ChainResult = await handle.result()
    assert await skipping_notifier.templates(customer_of(handle)) == ["a"]
    assert result.exit_reason == "max_duration"


async def test_wait_for_a_click_goes_on_when_it_comes_and_to_the_timeout_branch_if_not(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    definition = chain(
        [
            send("offer", "push"),
            {
                "kind": "wait",
                "id": "wait_click",
                "wait": {
                    "type": "event",
                    "event": "message.clicked",
                    "of_step": "offer",
                    "timeout": "PT1H",
                    "on_timeout": "by_email",
                },
            },
            {"kind": "exit", "id": "clicked", "reason": "clicked"},
            send("by_email", "email"),
        ]
    )
    async with chain_worker(time_skipping, Services(), skipping_notifier) as chains:
        handle = await chains.start(definition)
        await at_step(handle, "wait_click")
        (offer,) = await skipping_notifier.sent(customer_of(handle))
        click = MessageEventV1(event_type="message.clicked", delivery_id=offer.id)
        await handle.signal("message_event", click)
        clicked: ChainResult = await handle.result()
        silent_handle = await chains.start(definition)
        silent: ChainResult = await silent_handle.result()
    assert (clicked.exit_reason, await skipping_notifier.templates(customer_of(handle))) == (
        "clicked",
        ["offer"],
    )
    assert (silent.exit_reason, await skipping_notifier.templates(customer_of(silent_handle))) == (
        "completed",
        ["offer", "by_email"],
    )


async def test_redeeming_the_chain_bonus_is_its_own_exit_reason(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    async with chain_worker(time_skipping, Services(), skipping_notifier) as chains:
        handle = await chains.start(REACTIVATION, payload={})
        await at_step(handle, "wait_reminder")
        redeemed = PurchaseSignalV2(
            purchase_id="p", occurred_at=datetime.now(UTC), amount=5000, redeemed_points=300
        )
        await handle.signal("purchase", redeemed)
        result: ChainResult = await handle.result()
    assert result.exit_reason == "bonus_redeemed"


async def test_branch_on_a_profile_attribute_and_on_segment_membership(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    definition = chain(
        [
            {
                "kind": "branch",
                "id": "route",
                "cases": [
                    {"when": {"type": "in_segment", "segment": "vip"}, "goto": "vip"},
                    {
                        "when": {"type": "attribute", "field": "profile.city", "value": "Berlin"},
                        "goto": "berlin",
                    },
                ],
            },
            send("everyone"),
            {"kind": "exit", "id": "end"},
            send("vip", "email"),
            {"kind": "exit", "id": "vip_end"},
            send("berlin", "email"),
        ]
    )
    routed: list[list[str]] = []
    for services in (
        Services(segments=["vip"]),
        Services(profile={"city": "Berlin"}),
        Services(profile={"city": "Paris"}),
    ):
        async with chain_worker(time_skipping, services, skipping_notifier) as chains:
            handle = await chains.start(definition)
            await handle.result()
        routed.append(await skipping_notifier.templates(customer_of(handle)))
    assert routed == [["vip"], ["berlin"], ["everyone"]]


async def test_a_long_enrollment_continues_as_new_and_keeps_its_state(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    definition = chain(
        [
            send("hello"),
            wait("tick", "P1D"),
            {
                "kind": "branch",
                "id": "loop",
                "cases": [{"when": {"type": "event_seen", "event": "purchase"}, "goto": "tick"}],
            },
        ],
        exits={"on_purchase": False, "max_duration": "P20D"},
    )
    async with chain_worker(time_skipping, Services(), skipping_notifier) as chains:
        handle = await chains.start(definition, history_limit=40)
        await at_step(handle, "tick")
        await handle.signal(
            "purchase", PurchaseSignalV2(purchase_id="p", occurred_at=datetime.now(UTC))
        )
        result: ChainResult = await handle.result()
        latest = await time_skipping.client.get_workflow_handle(handle.id).describe()
    assert result.exit_reason == "max_duration"
    assert result.touches == 1  # carried over every run
    assert await skipping_notifier.templates(customer_of(handle)) == ["hello"]
    assert latest.run_id != handle.run_id  # the last run is not the first


async def test_a_purchase_during_a_cascade_stops_the_delivery_too(
    infra: Infra, sinks: Sinks
) -> None:
    # Its own time-skipping server: after a delivery cancelled mid-window, the Java test
    # server no longer skips time for the workflows that come after it on the same server.
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(TEST_SERVER),
        test_server_startup_timeout=timedelta(minutes=3),
    )
    try:
        async with running_notifier(infra, sinks, env.client) as notifier:
            await _purchase_mid_cascade(env, notifier)
    finally:
        await env.shutdown()


async def _purchase_mid_cascade(env: WorkflowEnvironment, notifier: Notifier) -> None:
    cascade = send("offer", "push", "email", fallback="notifier_cascade", reaction_window="PT1H")
    async with chain_worker(env, Services(), notifier) as chains:
        handle = await chains.start(chain([cascade, wait("after", "P1D")]))
        customer = customer_of(handle)

        async def pushed() -> list[tuple[str, str]]:
            offers = await notifier.deliveries(customer)
            attempts = await notifier.attempts(offers[0].key) if offers else []
            # An attempt is claimed `queued` before the provider is called: wait for its outcome.
            return [] if any(status == "queued" for _, status in attempts) else attempts

        assert await wait_for(pushed, "the push") == [("push", "sent")]
        (offer,) = await notifier.deliveries(customer)
        child = notifier.temporal.get_workflow_handle(f"delivery/{offer.key}")

        async def cancelled() -> bool:
            return (await child.describe()).status == WorkflowExecutionStatus.CANCELED

        # No result awaited until the child is cancelled: the server's clock stands still,
        # so the hour's window cannot pass before the purchase is heard.
        await handle.signal("purchase", purchase())
        await wait_for(cancelled, "the delivery's cancellation")
        result: ChainResult = await handle.result()
    assert (result.exit_reason, result.touches) == ("purchase", 1)
    assert await notifier.attempts(offer.key) == [("push", "sent")]  # no email after it
