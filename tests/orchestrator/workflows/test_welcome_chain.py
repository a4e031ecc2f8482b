"""The built-in welcome chain, run as data by the interpreter on the time-skipping server,
its messages delivered by the real notifier's DeliveryWorkflow as child workflows."""

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from kit.testing import wait_for
from orchestrator.definitions.builtin import WELCOME
from orchestrator.workflows.messages import ChainResult, ChainStatus
from tests.orchestrator.delivering import Notifier, chain_worker
from tests.orchestrator.recording import Services, purchase


async def test_without_a_purchase_the_reminder_follows_three_days_later(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    services = Services()
    async with chain_worker(time_skipping, services, skipping_notifier) as chains:
        started = await time_skipping.get_current_time()
        handle = await chains.start(WELCOME)
        result: ChainResult = await handle.result()
        elapsed = await time_skipping.get_current_time() - started

    customer = handle.id.rsplit("/", 1)[1]
    sent = await skipping_notifier.sent(customer)
    assert result.exit_reason == "completed"
    assert [(d.template, d.channel, d.status) for d in sent] == [
        ("welcome", "email", "sent"),
        ("welcome_reminder", "email", "sent"),
    ]
    assert sent[0].key.startswith(f"{handle.id}/")
    children = [await skipping_notifier.child_started_at(d.key) for d in sent]
    assert children[1] - children[0] >= timedelta(days=3)
    assert elapsed >= timedelta(days=7)
    assert [e.reason for e in services.exits] == ["completed"]


async def test_a_purchase_mid_wait_ends_the_chain_without_the_reminder(
    time_skipping: WorkflowEnvironment, skipping_notifier: Notifier
) -> None:
    services = Services()
    async with chain_worker(time_skipping, services, skipping_notifier) as chains:
        handle = await chains.start(WELCOME)

        async def touched() -> ChainStatus | None:
            status: ChainStatus = await handle.query("status", result_type=ChainStatus)
            return status if status.touches == 1 else None

        status = await wait_for(touched, "the welcome message")
        await handle.signal("purchase", purchase())
        result: ChainResult = await handle.result()

    assert status.touches == 1
    assert result.exit_reason == "purchase"
    assert result.touches == 1
    assert await skipping_notifier.templates(handle.id.rsplit("/", 1)[1]) == ["welcome"]
