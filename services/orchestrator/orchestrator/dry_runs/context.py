"""The dry run's step context: a clock of its own, assumed events instead of signals, facts
from segments, the notifier's dry-run decision instead of a delivery, and grants only noted."""

from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

import httpx
from temporalio.exceptions import ApplicationError

from kit.contracts.delivery import DryRunDecision, DryRunDelivery
from kit.contracts.dry_run import (
    AssumedEvent,
    Deferral,
    DryRunGrant,
    DryRunMessage,
    DryRunStep,
)
from orchestrator.activities import ChainActivities
from orchestrator.definitions.model import Step
from orchestrator.errors import NotifierUnavailable, SegmentsUnavailable
from orchestrator.workflows import chain_workflow_id
from orchestrator.workflows.context import StepContext
from orchestrator.workflows.delivery import GIVE_UP_AFTER
from orchestrator.workflows.messages import (
    ChainInput,
    EnrollmentState,
    GrantRequest,
    GrantResult,
    SendMessage,
)
from orchestrator.workflows.signals import hear_customer_event, hear_purchase

R = TypeVar("R")
FACTS = frozenset({"customer_profile", "customer_segments"})
# The notifier's answer names a cap per local day: only the run's latest sends matter to it.
PLANNED_SENDS = 500


class DryRunContext(StepContext):
    def __init__(
        self,
        chain_input: ChainInput,
        state: EnrollmentState,
        start: datetime,
        facts: ChainActivities,
        events: list[AssumedEvent],
    ) -> None:
        super().__init__(chain_input, state)
        self.clock = start
        self.facts_from = facts
        self.pending = sorted(events, key=lambda event: event.at)
        self.sends: list[datetime] = []
        self.path: list[DryRunStep] = []

    # --- the step context's primitives -----------------------------------------------------

    def now(self) -> datetime:
        return self.clock

    def patched(self, patch_id: str) -> bool:
        return True  # the code a new enrollment runs

    def workflow_id(self) -> str:
        return chain_workflow_id(self.chain.id, self.input.customer_id)

    async def local_activity(self, name: str, arg: Any) -> None:
        """Bookkeeping of real enrollments: a dry run keeps its path instead."""

    async def sleep(self, timeout: timedelta, woken: Any) -> None:
        """Time passes at once; assumed events inside the timeout are heard in their order."""
        end = self.clock + timeout
        while self.pending and self.pending[0].at <= end:
            event = self.pending.pop(0)
            self.clock = max(self.clock, event.at)
            self.hear(event)
            if woken():
                return
        self.clock = end

    async def activity(self, name: str, arg: Any, result_type: type[R]) -> R:
        if name == "grant_bonus":
            return cast(R, self._grant(arg))
        if name not in FACTS:
            raise NotImplementedError(f"a dry run has no activity {name!r}")
        try:
            found = await getattr(self.facts_from, name)(arg)
        except (ApplicationError, httpx.HTTPError) as exc:
            raise SegmentsUnavailable(f"the customer's facts: {exc}") from exc
        return cast(R, found)

    async def deliver(self, step_id: str, message: SendMessage) -> str:
        """What the chain would hear of the delivery; deferrals pass on the run's clock, and
        the chain gives up waiting after a day as it does for a real one."""
        record = DryRunMessage(
            template=message.template,
            channels=message.channels or [message.channel],
            asked_at=self.clock,
            decision="sent",
        )
        self.path[-1].messages.append(record)
        give_up = self.clock + GIVE_UP_AFTER
        while (decision := await self._ask(message, record)).action == "defer" and decision.until:
            record.deferrals.append(Deferral(reason=decision.reason, until=decision.until))
            await self.wait(
                max(min(decision.until, give_up), self.clock + timedelta(seconds=1)) - self.clock
            )
            if self.state.exit_reason is not None:
                record.decision = "cancelled"  # the chain ended: the delivery is cancelled
                return "sent"
            if self.clock >= give_up:
                record.decision, record.reason = "deferred", decision.reason
                return "failed"
        return self._decided(record, decision)

    # --- the dry run's own ---------------------------------------------------------------

    def hear(self, event: AssumedEvent) -> None:
        if event.type == "purchase":
            hear_purchase(self.chain, self.state, 0)
        elif event.type.startswith("message."):
            self.state.see(event.type, event.step)
        else:
            hear_customer_event(self.chain, self.state, event.type, event.payload)

    def hear_until_now(self) -> None:
        while self.pending and self.pending[0].at <= self.clock:
            self.hear(self.pending.pop(0))

    def arrive(self, step: Step) -> DryRunStep:
        self.state.arrive(step.id)
        record = DryRunStep(
            step_id=step.id,
            kind=step.kind,
            visit=self.state.visits[step.id],
            at=self.clock,
            left_at=self.clock,
            next=None,
        )
        self.path.append(record)
        return record

    async def _ask(self, message: SendMessage, record: DryRunMessage) -> DryRunDecision:
        body = DryRunDelivery(
            customer_id=message.customer_id,
            template=message.template,
            source=message.source,
            channels=record.channels,
            at=self.clock,
            sms_only_if_no_other_channel=message.sms_only_if_no_other_channel,
            planned=self.sends[-PLANNED_SENDS:],
        )
        try:
            answer = await self.notifier.post(
                "/deliveries/dry-run", json=body.model_dump(mode="json")
            )
        except httpx.HTTPError as exc:
            raise NotifierUnavailable(f"POST /deliveries/dry-run: {exc}") from exc
        if not answer.is_success:
            raise NotifierUnavailable(f"POST /deliveries/dry-run answered {answer.status_code}")
        return DryRunDecision.model_validate(answer.json())

    @property
    def notifier(self) -> httpx.AsyncClient:
        return self.facts_from.notifier

    def _decided(self, record: DryRunMessage, decision: DryRunDecision) -> str:
        record.reason, record.skipped = decision.reason, decision.skipped
        if decision.action == "send":
            record.channel, record.sent_at = decision.channel, self.clock
            self.sends.append(self.clock)
            return "sent"
        record.decision = "dropped" if decision.action == "drop" else "skipped"
        return "failed" if decision.action == "drop" else "skipped"

    def _grant(self, request: GrantRequest) -> GrantResult:
        active_from = request.active_from or self.clock
        expires_at = active_from + timedelta(days=request.lifetime_days)
        self.path[-1].grant = DryRunGrant(
            amount=request.amount,
            lifetime_days=request.lifetime_days,
            active_from=active_from,
            expires_at=expires_at,
        )
        return GrantResult(grant_id=None, amount=request.amount, expires_at=expires_at)
