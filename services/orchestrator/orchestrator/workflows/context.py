"""What every step of the interpreter gets: the enrollment, its state, and safe primitives."""

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from orchestrator.definitions.model import ChainDefinition, Step
    from orchestrator.workflows.delivery import deliver_as_child
    from orchestrator.workflows.messages import (
        ChainInput,
        CustomerFacts,
        EnrollmentState,
        SendMessage,
    )

R = TypeVar("R")
ACTIVITY_TIMEOUT = timedelta(seconds=30)
# Side effects keep retrying with backoff for a day: the idempotency key makes that safe.
SIDE_EFFECT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)
GIVE_UP_AFTER = timedelta(days=1)


class StepContext:
    """The steps' only door to time and side effects; a dry run (`orchestrator.dry_runs`)
    walks the same steps through a context of its own that sends and grants nothing."""

    def __init__(self, chain_input: ChainInput, state: EnrollmentState) -> None:
        self.input = chain_input
        self.state = state

    @property
    def chain(self) -> ChainDefinition:
        return self.input.chain

    @property
    def holdout(self) -> bool:
        return self.input.holdout

    def now(self) -> datetime:
        return workflow.now()

    def patched(self, patch_id: str) -> bool:
        return workflow.patched(patch_id)

    def workflow_id(self) -> str:
        return workflow.info().workflow_id

    def next_of(self, step: Step) -> str | None:
        return step.next or self.chain.following(step.id)

    def key(self, step_id: str, *parts: str) -> str:
        """Idempotency key: workflow id, enrollment, step and the visit of that step."""
        visit = self.state.visits.get(step_id, 1)
        suffix = "".join(f"/{part}" for part in parts)
        repeat = f"/{visit}" if visit > 1 else ""
        return f"{self.workflow_id()}/{self.input.enrollment_key}/{step_id}{repeat}{suffix}"

    def source(self, step_id: str) -> str:
        return f"chain:{self.chain.id}:v{self.input.version}:{step_id}"

    async def activity(self, name: str, arg: Any, result_type: type[R]) -> R:
        result: R = await workflow.execute_activity(
            name,
            arg,
            result_type=result_type,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            schedule_to_close_timeout=GIVE_UP_AFTER,
            retry_policy=SIDE_EFFECT_RETRY,
        )
        return result

    async def local_activity(self, name: str, arg: Any) -> None:
        """Bookkeeping in the orchestrator's own database: no round trip through the server."""
        await workflow.execute_local_activity(
            name, arg, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=SIDE_EFFECT_RETRY
        )

    def deadline(self) -> datetime | None:
        limit = self.chain.exits.max_duration
        started = self.state.started_at
        return started + limit if limit and started else None

    async def wait(self, timeout: timedelta, until: Callable[[], bool] | None = None) -> bool:
        """Sleeps up to `timeout`; wakes early on an exit or when `until` holds (then True)."""
        done = until or (lambda: False)
        deadline = self.deadline()
        if deadline is not None:
            timeout = min(timeout, deadline - self.now())
        if timeout > timedelta(0):
            await self.sleep(timeout, lambda: self.state.exit_reason is not None or done())
        if deadline is not None and self.now() >= deadline:
            self.state.exit("max_duration")
        return self.state.exit_reason is None and done()

    async def sleep(self, timeout: timedelta, woken: Callable[[], bool]) -> None:
        """A durable timer that a signal making `woken` true cuts short."""
        with suppress(TimeoutError):
            await workflow.wait_condition(woken, timeout=timeout)

    async def deliver(self, step_id: str, message: SendMessage) -> str:
        """The delivery's final status, as the notifier's child workflow reports it."""
        return await deliver_as_child(self, step_id, message)

    async def facts(self) -> CustomerFacts:
        """The customer's profile, fetched once per run."""
        if self.state.profile is None:
            found = await self.activity("customer_profile", self.input.customer_id, CustomerFacts)
            self.state.profile = found.profile
        return CustomerFacts(profile=self.state.profile)

    async def segments(self) -> list[str]:
        found = await self.activity("customer_segments", self.input.customer_id, CustomerFacts)
        return found.segments

    async def time_zone(self) -> str | None:
        if self.input.time_zone:
            return self.input.time_zone
        zone = (await self.facts()).profile.get("time_zone")
        return str(zone) if zone else None
