"""The built-in welcome chain: welcome message, wait for the first purchase, one reminder."""

from contextlib import suppress
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from orchestrator.activities import ChainActivities
    from orchestrator.workflows.messages import (
        ChainInput,
        ChainResult,
        ChainStatus,
        ExitReason,
        PurchaseSignalV1,
        SendMessage,
        TriggerSignalV1,
    )

REMINDER_AFTER = timedelta(days=3)
GOAL_WINDOW_AFTER_REMINDER = timedelta(days=4)
SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)


@workflow.defn(name="WelcomeChain")
class WelcomeChain:
    def __init__(self) -> None:
        self.purchased = False
        self.cancelled = False
        self.touches = 0
        self.step = "start"

    @workflow.signal(name="trigger")
    def trigger(self, signal: TriggerSignalV1) -> None:
        """The signal of signal-with-start; a repeated trigger changes nothing."""

    @workflow.signal(name="purchase")
    def purchase(self, signal: PurchaseSignalV1) -> None:
        self.purchased = True

    @workflow.signal(name="cancel")
    def cancel(self) -> None:
        self.cancelled = True

    @workflow.query(name="status")
    def status(self) -> ChainStatus:
        return ChainStatus(step=self.step, touches=self.touches, purchased=self.purchased)

    @workflow.run
    async def run(self, chain: ChainInput) -> ChainResult:
        for step, template, wait in (
            ("welcome", "welcome", REMINDER_AFTER),
            ("reminder", "welcome_reminder", GOAL_WINDOW_AFTER_REMINDER),
        ):
            if self._should_exit():
                break
            await self._send(chain, step, template)
            self.step = f"waiting_after_{step}"
            await self._wait_for_exit(wait)
        return ChainResult(exit_reason=self._exit_reason(), touches=self.touches)

    def _should_exit(self) -> bool:
        return self.purchased or self.cancelled

    def _exit_reason(self) -> ExitReason:
        if self.purchased:
            return "purchase"
        return "cancelled" if self.cancelled else "completed"

    async def _wait_for_exit(self, timeout: timedelta) -> None:
        with suppress(TimeoutError):
            await workflow.wait_condition(self._should_exit, timeout=timeout)

    async def _send(self, chain: ChainInput, step: str, template: str) -> None:
        self.step = step
        message = SendMessage(
            idempotency_key=f"{workflow.info().workflow_id}/{step}",
            customer_id=chain.customer_id,
            template=template,
            source=f"chain:{chain.chain_id}:v{chain.version}:{step}",
        )
        await workflow.execute_activity_method(
            ChainActivities.send_message,
            message,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=SEND_RETRY,
        )
        self.touches += 1
