"""The welcome chain on the time-skipping server: days of waiting pass in moments.

The notifier is out of reach here, so a recording activity stands under the real activity name;
the real activity against the real notifier runs in the end-to-end tests.
"""

import uuid
from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from kit.testing import wait_for
from orchestrator.workflows import chain_workflow_id
from orchestrator.workflows.messages import (
    ChainInput,
    ChainResult,
    PurchaseSignalV1,
    SendMessage,
    SendResult,
    TriggerSignalV1,
)
from orchestrator.workflows.welcome import WelcomeChain


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent: list[SendMessage] = []

    @activity.defn(name="send_message")
    async def send_message(self, message: SendMessage) -> SendResult:
        self.sent.append(message)
        return SendResult(delivery_id=str(uuid.uuid4()), status="sent")


def chain_worker(env: WorkflowEnvironment, queue: str, notifier: RecordingNotifier) -> Worker:
    return Worker(
        env.client, task_queue=queue, workflows=[WelcomeChain], activities=[notifier.send_message]
    )


async def start_welcome(env: WorkflowEnvironment, task_queue: str) -> WorkflowHandle:
    customer_id = str(uuid.uuid4())
    return await env.client.start_workflow(
        WelcomeChain.run,
        ChainInput(chain_id="welcome", version=1, customer_id=customer_id, trigger_event_id="e1"),
        id=chain_workflow_id("welcome", customer_id),
        task_queue=task_queue,
        start_signal="trigger",
        start_signal_args=[TriggerSignalV1(event_id="e1", event_type="member.registered")],
    )


async def test_without_a_purchase_the_reminder_follows_three_days_later(
    time_skipping: WorkflowEnvironment,
) -> None:
    notifier, queue = RecordingNotifier(), f"q-{uuid.uuid4()}"
    async with chain_worker(time_skipping, queue, notifier):
        started = await time_skipping.get_current_time()
        handle = await start_welcome(time_skipping, queue)
        result: ChainResult = await handle.result()
        elapsed = await time_skipping.get_current_time() - started

    assert result.exit_reason == "completed"
    assert [m.template for m in notifier.sent] == ["welcome", "welcome_reminder"]
    assert notifier.sent[0].idempotency_key == f"{handle.id}/welcome"
    assert elapsed >= timedelta(days=7)


async def test_a_purchase_mid_wait_ends_the_chain_without_the_reminder(
    time_skipping: WorkflowEnvironment,
) -> None:
    notifier, queue = RecordingNotifier(), f"q-{uuid.uuid4()}"
    async with chain_worker(time_skipping, queue, notifier):
        handle = await start_welcome(time_skipping, queue)
        await wait_for(lambda: len(notifier.sent) == 1, "the welcome message")
        purchase = PurchaseSignalV1(purchase_id="tx-1", occurred_at=datetime.now(UTC))
        await handle.signal("purchase", purchase)
        result: ChainResult = await handle.result()

    assert result.exit_reason == "purchase"
    assert result.touches == 1
    assert [m.template for m in notifier.sent] == ["welcome"]
