"""One delivery as a durable workflow: policy waits, then the cascade across channels.

Quiet hours, a pause and a deferral over the cap are Temporal timers, so they survive restarts.
A click (email, push, messenger) or a delivery receipt (SMS) ends the cascade; no reaction
within the window, or an undeliverable channel, moves on to the next channel.

Each step (open, decide, send on one channel, finish) is a local activity: it runs inside the
workflow task, so a delivery costs the server one workflow task per wait instead of an activity
task and a workflow task per step (the per-delivery cost that bounded the send pipeline). Every
step is idempotent on retry: the delivery by its key, the decision by its key in Redis, the
attempt by its id (and the provider's `Idempotency-Key`). Histories started before local
activities replay as they were recorded (`workflow.patched`).
"""

from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from kit.contracts.delivery import DELIVERY_WORKFLOW
    from notifier.activities import DeliveryActivities
    from notifier.workflows.messages import (
        AttemptInput,
        AttemptOutcome,
        DecideInput,
        DecisionOut,
        DeliveryRequest,
        DeliveryResult,
        DeliveryStatus,
        FinishInput,
        ReactionV1,
        SendRetry,
    )

In = TypeVar("In")
Out = TypeVar("Out")
_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=60),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
    ),
}


def attempt_options(retry: SendRetry) -> dict[str, Any]:
    """Sending is bounded: an outage of the database or a provider is waited out `attempts`
    times (the settings' `send_*`, about half an hour by default), then the channel counts as
    failed and the cascade moves on. Bad data is not retried at all: the attempt fails at once
    with its reason."""
    policy = RetryPolicy(
        initial_interval=timedelta(seconds=retry.backoff_seconds),
        maximum_interval=timedelta(seconds=retry.max_backoff_seconds),
        maximum_attempts=retry.attempts,
    )
    return {**_OPTIONS, "retry_policy": policy}


LOCAL_ACTIVITIES = "delivery-local-activities"
# A receipt is what proves an SMS arrived; elsewhere only a click shows the customer reacted.
SUCCESS = {"sms": {"delivered", "clicked"}}
DEFAULT_SUCCESS = {"clicked"}
MOVE_ON = {"undelivered", "failed"}


@workflow.defn(name=DELIVERY_WORKFLOW)
class DeliveryWorkflow:
    def __init__(self) -> None:
        self.local = False
        self.send_retry = SendRetry()
        self.step = "queued"
        self.attempts: list[str] = []
        self.reactions: dict[str, str] = {}

    @workflow.signal(name="reaction")
    def reaction(self, signal: ReactionV1) -> None:
        if signal.kind == "clicked" or signal.attempt_id not in self.reactions:
            self.reactions[signal.attempt_id] = signal.kind

    @workflow.query(name="status")
    def status(self) -> DeliveryStatus:
        return DeliveryStatus(step=self.step, attempts=self.attempts, reactions=self.reactions)

    @workflow.run
    async def run(self, request: DeliveryRequest) -> DeliveryResult:
        self.local = workflow.patched(LOCAL_ACTIVITIES)
        opened = await self._step(DeliveryActivities.open_delivery, request)
        delivery_id = opened.delivery_id
        self.send_retry = opened.send_retry
        if opened.finished:
            return await self._finish(delivery_id, None)
        decision = await self._cleared(delivery_id, count=True)
        if decision.action == "drop":
            return await self._finish(delivery_id, decision.reason)
        reason = "no_channel"
        for position, channel in enumerate(request.cascade):
            if position and (await self._cleared(delivery_id, count=False)).action == "drop":
                break
            outcome = await self._attempt(delivery_id, channel, position)
            if outcome.status != "sent":
                reason = outcome.reason or outcome.status
                continue
            last = position == len(request.cascade) - 1
            # Reactions after the last channel still count; only the cascade stops waiting.
            if last or await self._reacted(
                outcome.attempt_id, channel, request.reaction_window_seconds
            ):
                break
            reason = "no_reaction"
        return await self._finish(delivery_id, reason)

    async def _cleared(self, delivery_id: str, count: bool) -> DecisionOut:
        """Waits out every deferral, durably; returns the decision to send or to drop."""
        while True:
            ask = DecideInput(delivery_id=delivery_id, at=workflow.now(), count=count)
            decision = await self._step(DeliveryActivities.decide, ask)
            if decision.action != "defer" or decision.until is None:
                return decision
            self.step = f"deferred:{decision.reason}"
            await workflow.sleep(max(timedelta(seconds=1), decision.until - workflow.now()))

    async def _attempt(self, delivery_id: str, channel: str, position: int) -> AttemptOutcome:
        self.step = f"sending:{channel}"
        ask = AttemptInput(delivery_id=delivery_id, channel=channel, position=position)
        try:
            options = attempt_options(self.send_retry)
            outcome = await self._step(DeliveryActivities.attempt, ask, options)
        except ActivityError as exc:
            workflow.logger.warning("sending on %s gave up: %s", channel, exc.cause)
            attempt_id = f"{delivery_id}:{position}"
            outcome = AttemptOutcome(attempt_id=attempt_id, status="failed", reason="gave_up")
        self.attempts.append(outcome.attempt_id)
        return outcome

    async def _reacted(self, attempt_id: str, channel: str, window_seconds: int) -> bool:
        self.step = f"waiting:{channel}"
        success = SUCCESS.get(channel, DEFAULT_SUCCESS)

        def settled() -> bool:
            return self.reactions.get(attempt_id) in success | MOVE_ON

        with suppress(TimeoutError):
            await workflow.wait_condition(settled, timeout=timedelta(seconds=window_seconds))
        return self.reactions.get(attempt_id) in success

    async def _finish(self, delivery_id: str, reason: str | None) -> DeliveryResult:
        self.step = "finished"
        return await self._step(
            DeliveryActivities.finish, FinishInput(delivery_id=delivery_id, reason=reason)
        )

    async def _step(
        self,
        activity: Callable[[Any, In], Awaitable[Out]],
        arg: In,
        options: dict[str, Any] = _OPTIONS,
    ) -> Out:
        """A local activity; an activity in histories recorded before local activities."""
        if self.local:
            return await workflow.execute_local_activity_method(activity, arg, **options)
        return await workflow.execute_activity_method(activity, arg, **options)
