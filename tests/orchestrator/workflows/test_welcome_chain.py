"""The built-in welcome chain, run as data by the interpreter on the time-skipping server."""

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from kit.testing import wait_for
from orchestrator.definitions.builtin import WELCOME
from orchestrator.workflows.messages import ChainResult, ChainStatus
from tests.orchestrator.recording import Services, chain_worker, purchase, start_chain


async def test_without_a_purchase_the_reminder_follows_three_days_later(
    time_skipping: WorkflowEnvironment,
) -> None:
    services = Services()
    async with chain_worker(time_skipping, services) as queue:
        started = await time_skipping.get_current_time()
        handle = await start_chain(time_skipping, queue, WELCOME)
        result: ChainResult = await handle.result()
        elapsed = await time_skipping.get_current_time() - started

    assert result.exit_reason == "completed"
    assert services.templates() == ["welcome", "welcome_reminder"]
    assert services.sent[0].idempotency_key.startswith(f"{handle.id}/")
    assert services.sent[0].source == "chain:welcome:v1:welcome"
    assert elapsed >= timedelta(days=7)
    assert [e.reason for e in services.exits] == ["completed"]


async def test_a_purchase_mid_wait_ends_the_chain_without_the_reminder(
    time_skipping: WorkflowEnvironment,
) -> None:
    services = Services()
    async with chain_worker(time_skipping, services) as queue:
        handle = await start_chain(time_skipping, queue, WELCOME)

        async def touched() -> ChainStatus | None:
            status: ChainStatus = await handle.query("status", result_type=ChainStatus)
            return status if status.touches == 1 else None

        status = await wait_for(touched, "the welcome message")
        await handle.signal("purchase", purchase())
        result: ChainResult = await handle.result()

    assert status.touches == 1
    assert result.exit_reason == "purchase"
    assert result.touches == 1
    assert services.templates() == ["welcome"]
