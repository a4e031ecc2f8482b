"""Recording activities under the real activity names, for the time-skipping server.

Loyalty and segments are out of reach there (messages go to the real notifier, see
`delivering.py`); the real activities are tested against the real services in
tests/orchestrator/test_activities.py. Campaigns record their sends here too.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from orchestrator.campaigns.messages import BulkGrant, BulkGranted, Page, PageRequest
from orchestrator.definitions.model import ChainDefinition
from orchestrator.workflows import chain_workflow_id
from orchestrator.workflows.chain import ChainWorkflow
from orchestrator.workflows.messages import (
    ChainInput,
    CustomerEventV1,
    CustomerFacts,
    EnrollmentExit,
    GrantRequest,
    GrantResult,
    PurchaseSignalV1,
    SendMessage,
    SendResult,
    StepReached,
)


@dataclass
class Services:
    """What the chain asked of the other services; idempotent by key, like the real ones."""

    undeliverable: set[str] = field(default_factory=set)  # channels that bounce at once
    queued: set[str] = field(default_factory=set)  # channels whose outcome comes as an event
    profile: dict[str, Any] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # per customer
    segments: list[str] = field(default_factory=list)
    fail_first_attempt: bool = False
    deliveries: dict[str, SendMessage] = field(default_factory=dict)
    attempts: list[SendMessage] = field(default_factory=list)
    grants: dict[str, GrantRequest] = field(default_factory=dict)
    grant_attempts: list[GrantRequest] = field(default_factory=list)
    granted_at: dict[str, datetime] = field(default_factory=dict)  # per grant key
    bulk_grants: dict[str, BulkGrant] = field(default_factory=dict)
    bulk_attempts: list[BulkGrant] = field(default_factory=list)
    exits: list[EnrollmentExit] = field(default_factory=list)
    arrivals: list[StepReached] = field(default_factory=list)
    sent_at: dict[str, datetime] = field(default_factory=dict)  # server (skipped) time

    @property
    def sent(self) -> list[SendMessage]:
        return [m for m in self.deliveries.values() if m.channel not in self.undeliverable]

    def templates(self) -> list[str]:
        return [m.template for m in self.sent]

    def _lose_the_answer(self) -> None:
        """The call took effect, but the worker never heard back: Temporal retries it."""
        if self.fail_first_attempt and activity.info().attempt == 1:
            raise RuntimeError("connection reset after the call took effect")

    @activity.defn(name="send_message")
    async def send_message(self, message: SendMessage) -> SendResult:
        self.attempts.append(message)
        self.deliveries.setdefault(message.idempotency_key, message)
        self.sent_at.setdefault(
            message.idempotency_key, activity.info().current_attempt_scheduled_time
        )
        self._lose_the_answer()
        status = "failed" if message.channel in self.undeliverable else "sent"
        status = "queued" if message.channel in self.queued else status
        return SendResult(
            delivery_id=message.idempotency_key, status=status, channel=message.channel
        )

    @activity.defn(name="grant_bonus")
    async def grant_bonus(self, grant: GrantRequest) -> GrantResult:
        self.grant_attempts.append(grant)
        self.grants.setdefault(grant.idempotency_key, grant)
        self._lose_the_answer()
        # As loyalty answers: the lot burns `lifetime_days` after it becomes active, and a
        # repeated key answers with the first grant's date.
        first = self.grants[grant.idempotency_key]
        active = first.active_from or self.granted_at.setdefault(first.idempotency_key, _now())
        expires = active + timedelta(days=first.lifetime_days or 0)
        return GrantResult(grant_id=grant.idempotency_key, amount=grant.amount, expires_at=expires)

    async def bulk_grant(self, grant: BulkGrant) -> BulkGranted:
        """loyalty `/grants/bulk`: the same key answers as the first time."""
        self.bulk_attempts.append(grant)
        self.bulk_grants.setdefault(grant.idempotency_key, grant)
        if self.fail_first_attempt and len(self.bulk_attempts) == 1:
            raise RuntimeError("connection reset after the call took effect")
        granted = len(self.bulk_grants[grant.idempotency_key].member_ids)
        return BulkGranted(grant_id=grant.idempotency_key, granted=granted, skipped=0)

    def granted_members(self) -> list[str]:
        return [m for grant in self.bulk_grants.values() for m in grant.member_ids]

    @activity.defn(name="customer_profile")
    async def customer_profile(self, customer_id: str) -> CustomerFacts:
        return CustomerFacts(profile=self.profiles.get(customer_id, self.profile))

    @activity.defn(name="customer_segments")
    async def customer_segments(self, customer_id: str) -> CustomerFacts:
        return CustomerFacts(segments=self.segments)

    @activity.defn(name="record_step")
    async def record_step(self, reached: StepReached) -> None:
        self.arrivals.append(reached)

    @activity.defn(name="record_exit")
    async def record_exit(self, exited: EnrollmentExit) -> None:
        self.exits.append(exited)

    def activities(self) -> list[Callable[..., Any]]:
        return [
            self.send_message,
            self.grant_bonus,
            self.customer_profile,
            self.customer_segments,
            self.record_step,
            self.record_exit,
        ]


SEGMENT_MEMBERS = [f"m{i:03d}" for i in range(250)]


@activity.defn(name="campaign_page")
async def segment_pages(request: PageRequest) -> Page:
    """Segments' member pages, in the shape of `GET /segments/{id}/members`."""
    start = int(request.cursor or 0)
    end = start + request.limit
    members = SEGMENT_MEMBERS[start:end]
    return Page(members=members, next_cursor=str(end) if end < len(SEGMENT_MEMBERS) else None)


async def start_chain(
    env: WorkflowEnvironment,
    queue: str,
    chain: ChainDefinition,
    *,
    version: int = 1,
    holdout: bool = False,
    payload: dict[str, Any] | None = None,
    time_zone: str | None = None,
    customer_id: str | None = None,
    history_limit: int = 5_000,
    notifier_task_queue: str = "notifier",
    event_id: str | None = None,
) -> WorkflowHandle[Any, Any]:
    customer_id = customer_id or str(uuid.uuid4())
    trigger = chain.trigger
    event = CustomerEventV1(
        event_id=event_id or str(uuid.uuid4()),
        event_type=getattr(trigger, "event", "segment.entered"),
        payload=payload or {},
    )
    chain_input = ChainInput(
        chain=chain,
        version=version,
        customer_id=customer_id,
        enrollment_key=event.event_id,
        holdout=holdout,
        time_zone=time_zone,
        history_limit=history_limit,
        notifier_task_queue=notifier_task_queue,
    )
    return await env.client.start_workflow(
        ChainWorkflow.run,
        chain_input,
        id=chain_workflow_id(chain.id, customer_id),
        task_queue=queue,
        start_signal="customer_event",
        start_signal_args=[event],
    )


def purchase() -> PurchaseSignalV1:
    return PurchaseSignalV1(purchase_id=str(uuid.uuid4()), occurred_at=datetime.now(UTC))


def _now() -> datetime:
    return datetime.now(UTC)
