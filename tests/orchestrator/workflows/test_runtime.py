"""The interpreter's guarantees: idempotent side effects under retries, exits, waits, events."""

from datetime import UTC, datetime
from typing import Any

from temporalio.testing import WorkflowEnvironment

from kit.testing import wait_for
from orchestrator.definitions.builtin import REACTIVATION
from orchestrator.definitions.model import ChainDefinition
from orchestrator.workflows.messages import (
    ChainResult,
    MessageEventV1,
    PurchaseSignalV2,
)
from tests.orchestrator.recording import Services, chain_worker, start_chain
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


def send(step_id: str, *channels: str) -> dict[str, Any]:
    return {
        "kind": "send",
        "id": step_id,
        "template": step_id,
        "channels": list(channels or ["email"]),
    }


def wait(step_id: str, duration: str) -> dict[str, Any]:
    return {"kind": "wait", "id": step_id, "wait": {"type": "duration", "duration": duration}}


async def test_a_retried_grant_and_send_never_happen_twice(
    time_skipping: WorkflowEnvironment,
) -> None:
    services = Services(fail_first_attempt=True)
    async with chain_worker(time_skipping, services) as queue:
        handle = await start_chain(
            time_skipping, queue, REACTIVATION, payload={"segment_id": "recency.cooling"}
        )
        await handle.result()
    assert len(services.grant_attempts) == 2  # the first answer was lost: Temporal retried
    assert len({g.idempotency_key for g in services.grant_attempts}) == 1
    assert len(services.grants) == 1
    sent_keys = [m.idempotency_key for m in services.attempts]
    assert len(sent_keys) == 2 * len(set(sent_keys))  # every send retried once, same key
    assert len(services.deliveries) == 3


async def test_max_touches_ends_the_chain_before_the_next_send(
    time_skipping: WorkflowEnvironment,
) -> None:
    services = Services()
    definition = chain(
        [send("a"), wait("w1", "P1D"), send("b"), wait("w2", "P1D"), send("c")],
        exits={"max_touches": 2},
    )
    async with chain_worker(time_skipping, services) as queue:
        result: ChainResult = await (await start_chain(time_skipping, queue, definition)).result()
    assert services.templates() == ["a", "b"]
    assert result.exit_reason == "max_touches"


async def test_max_duration_cuts_a_long_wait(time_skipping: WorkflowEnvironment) -> None:
    services = Services()
    definition = chain([send("a"), wait("w", "P30D"), send("b")], exits={"max_duration": "P2D"})
    async with chain_worker(time_skipping, services) as queue:
        result: ChainResult = await (await start_chain(time_skipping, queue, definition)).result()
    assert services.templates() == ["a"]
    assert result.exit_reason == "max_duration"


async def test_wait_for_a_click_goes_on_when_it_comes_and_to_the_timeout_branch_if_not(
    time_skipping: WorkflowEnvironment,
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
    clicked, silent = Services(), Services()
    async with chain_worker(time_skipping, clicked) as queue:
        handle = await start_chain(time_skipping, queue, definition)
        await at_step(handle, "wait_click")
        delivery = clicked.sent[0].idempotency_key
        click = MessageEventV1(event_type="message.clicked", delivery_id=delivery)
        await handle.signal("message_event", click)
        clicked_result: ChainResult = await handle.result()
    async with chain_worker(time_skipping, silent) as queue:
        silent_result: ChainResult = await (
            await start_chain(time_skipping, queue, definition)
        ).result()
    assert (clicked_result.exit_reason, clicked.templates()) == ("clicked", ["offer"])
    assert (silent_result.exit_reason, silent.templates()) == ("completed", ["offer", "by_email"])


async def test_redeeming_the_chain_bonus_is_its_own_exit_reason(
    time_skipping: WorkflowEnvironment,
) -> None:
    services = Services()
    async with chain_worker(time_skipping, services) as queue:
        handle = await start_chain(time_skipping, queue, REACTIVATION, payload={})
        await at_step(handle, "wait_reminder")
        redeemed = PurchaseSignalV2(
            purchase_id="p", occurred_at=datetime.now(UTC), amount=5000, redeemed_points=300
        )
        await handle.signal("purchase", redeemed)
        result: ChainResult = await handle.result()
    assert result.exit_reason == "bonus_redeemed"


async def test_branch_on_a_profile_attribute_and_on_segment_membership(
    time_skipping: WorkflowEnvironment,
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
        async with chain_worker(time_skipping, services) as queue:
            await (await start_chain(time_skipping, queue, definition)).result()
        routed.append(services.templates())
    assert routed == [["vip"], ["berlin"], ["everyone"]]


async def test_a_long_enrollment_continues_as_new_and_keeps_its_state(
    time_skipping: WorkflowEnvironment,
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
    services = Services()
    async with chain_worker(time_skipping, services) as queue:
        handle = await start_chain(time_skipping, queue, definition, history_limit=40)
        await at_step(handle, "tick")
        await handle.signal(
            "purchase", PurchaseSignalV2(purchase_id="p", occurred_at=datetime.now(UTC))
        )
        result: ChainResult = await handle.result()
        latest = await time_skipping.client.get_workflow_handle(handle.id).describe()
    assert result.exit_reason == "max_duration"
    assert result.touches == 1  # carried over every run
    assert services.templates() == ["hello"]
    assert latest.run_id != handle.run_id  # the last run is not the first


async def test_a_push_that_bounces_later_falls_to_the_next_channel(
    time_skipping: WorkflowEnvironment,
) -> None:
    services = Services(queued={"push"})
    definition = chain([send("nudge", "push", "sms")])
    async with chain_worker(time_skipping, services) as queue:
        handle = await start_chain(time_skipping, queue, definition)
        await wait_for(lambda: services.deliveries, "the push")
        (push,) = services.deliveries
        bounced = MessageEventV1(event_type="message.failed", delivery_id=push, channel="push")
        await handle.signal("message_event", bounced)
        result: ChainResult = await handle.result()
    assert [m.channel for m in services.deliveries.values()] == ["push", "sms"]
    assert result.touches == 1
