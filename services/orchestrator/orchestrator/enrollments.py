"""Entering customers into chains (signal-with-start), re-entry, and what enrollments hear."""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDReusePolicy,
)
from temporalio.service import RPCError, RPCStatusCode

from kit.clock import utcnow
from kit.contracts import ChainEnrolled, ChainEnrolledPayload
from kit.contracts.orchestrator import ChainExited, ChainExitedPayload
from orchestrator import control, repository
from orchestrator.chains import published_definition
from orchestrator.definitions.facts import in_holdout
from orchestrator.definitions.model import Audience, ChainDefinition
from orchestrator.errors import PreviousRunClosing
from orchestrator.models import Enrollment, outbox
from orchestrator.settings import OrchestratorSettings
from orchestrator.workflows import chain_workflow_id
from orchestrator.workflows.messages import (
    CancelSignalV1,
    ChainInput,
    CustomerEventV1,
    EnrollmentExit,
    StepReached,
)

log = logging.getLogger(__name__)
WORKFLOW = "ChainWorkflow"
CHAIN_ID = SearchAttributeKey.for_keyword("ChainId")
CHAIN_VERSION = SearchAttributeKey.for_int("ChainVersion")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
STATUS = SearchAttributeKey.for_keyword("EnrollmentStatus")
ENROLLMENT_KEY = "enrollment_key"  # the memo naming the trigger a run was started for


@dataclass(frozen=True)
class Runtime:
    """Where enrollments run: the Temporal client, the task queue, the server's abilities."""

    temporal: Client
    task_queue: str
    search_attributes: bool = True
    notifier_task_queue: str = "notifier"


def runtime_from(settings: OrchestratorSettings, temporal: Client) -> Runtime:
    return Runtime(
        temporal, settings.task_queue, settings.search_attributes, settings.notifier_task_queue
    )


def reentry_allowed(audience: Audience, last: Enrollment, now: datetime) -> bool:
    if last.status == "active" or audience.reentry == "never":
        return False
    if audience.reentry == "after_exit":
        return True
    ended = last.exited_at or last.enrolled_at
    return audience.cooldown is not None and ended + audience.cooldown <= now


async def enroll(
    session: AsyncSession,
    runtime: Runtime,
    chain: ChainDefinition,
    version: int,
    customer_id: str,
    event: CustomerEventV1,
    time_zone: str | None = None,
) -> Enrollment | None:
    """Starts an enrollment; a running one hears the event instead; re-entry per the policy."""
    workflow_id = chain_workflow_id(chain.id, customer_id)
    last = await repository.last_enrollment(session, chain.id, customer_id)
    if last is not None and last.status == "active":
        await signal(runtime.temporal, workflow_id, "customer_event", event)
        return None
    if last is not None and not reentry_allowed(chain.audience, last, utcnow()):
        return None
    if last is not None and await _still_running(runtime.temporal, workflow_id):
        # Its exit is recorded but the run has not closed yet: a signal-with-start now would
        # signal that run, start none, and leave this enrollment without a workflow. The
        # consumer retries the event in a moment, once the run has closed.
        raise PreviousRunClosing()
    if await control.excluded(session, customer_id, utcnow()):
        return None  # the global control group gets no marketing
    holdout = in_holdout(chain.id, customer_id, chain.holdout_share)
    chain_input = ChainInput(
        chain=chain,
        version=version,
        customer_id=customer_id,
        enrollment_key=event.event_id,
        holdout=holdout,
        time_zone=time_zone,
        notifier_task_queue=runtime.notifier_task_queue,
    )
    handle = await runtime.temporal.start_workflow(
        WORKFLOW,
        chain_input,
        id=workflow_id,
        task_queue=runtime.task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        start_signal="customer_event",
        start_signal_args=[event],
        search_attributes=_attributes(chain_input) if runtime.search_attributes else None,
        memo={ENROLLMENT_KEY: event.event_id},
    )
    if handle.first_execution_run_id is None and await _run_of_another_trigger(handle, event):
        # A run started for an earlier trigger whose enrollment is not recorded yet (its
        # handler's commit failed, e.g. the database went away, and is retried): it heard this
        # event as a signal, as a recorded enrollment would. Recording one for this event
        # would leave a row no run ever closes.
        return None
    enrollment = _record_start(session, chain_input, workflow_id)
    payload = ChainEnrolledPayload(
        chain_id=chain.id, workflow_id=workflow_id, chain_version=version, holdout=holdout
    )
    await outbox.add(session, ChainEnrolled(customer_id=customer_id, payload=payload))
    await _cancel_chains_that_yield_to(session, runtime.temporal, customer_id, chain.id)
    return enrollment


async def _still_running(temporal: Client, workflow_id: str) -> bool:
    try:
        described = await temporal.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        return False
    return described.status == WorkflowExecutionStatus.RUNNING


async def _run_of_another_trigger(handle: WorkflowHandle[Any, Any], event: CustomerEventV1) -> bool:
    """Whether the running run the signal-with-start reached was started for another event
    (runs started before the memo was written are taken as this event's, as before)."""
    memo = await (await handle.describe()).memo()
    started_for = memo.get(ENROLLMENT_KEY, event.event_id)
    return bool(started_for != event.event_id)


def _attributes(chain_input: ChainInput) -> TypedSearchAttributes:
    status = "holdout" if chain_input.holdout else "active"
    pairs: list[SearchAttributePair[str] | SearchAttributePair[int]] = [
        SearchAttributePair(CHAIN_ID, chain_input.chain.id),
        SearchAttributePair(CHAIN_VERSION, chain_input.version),
        SearchAttributePair(CUSTOMER_ID, chain_input.customer_id),
        SearchAttributePair(STATUS, status),
    ]
    return TypedSearchAttributes(pairs)


def _record_start(session: AsyncSession, chain_input: ChainInput, workflow_id: str) -> Enrollment:
    enrollment = Enrollment(
        id=str(uuid.uuid4()),
        chain_id=chain_input.chain.id,
        version=chain_input.version,
        customer_id=chain_input.customer_id,
        workflow_id=workflow_id,
        trigger_event_id=chain_input.enrollment_key,
        holdout=chain_input.holdout,
        status="active",
        touches=0,
        enrolled_at=utcnow(),
    )
    session.add(enrollment)
    return enrollment


async def _cancel_chains_that_yield_to(
    session: AsyncSession, temporal: Client, customer_id: str, entered: str
) -> None:
    """Exit condition 'enrollment in another named chain'."""
    for running in await repository.active_enrollments(session, customer_id):
        if running.chain_id == entered:
            continue
        definition = await published_definition(session, running.chain_id, running.version)
        if definition is not None and entered in definition.exits.on_enrollment_in:
            reason = CancelSignalV1(reason=f"entered_{entered}")
            await signal(temporal, running.workflow_id, "cancel", reason)


async def signal(temporal: Client, workflow_id: str, name: str, payload: object) -> bool:
    """Signals a running enrollment; one that has just closed is no error."""
    try:
        await temporal.get_workflow_handle(workflow_id).signal(name, payload)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        log.info("enrollment already closed", extra={"workflow_id": workflow_id})
        return False
    return True


async def signal_all(
    session: AsyncSession,
    temporal: Client,
    customer_id: str,
    name: str,
    payload: object,
    running: Sequence[Enrollment] | None = None,
) -> int:
    """Every running enrollment of the customer, whatever started it (`running`, when the
    caller has read them already). No running enrollment: no call to Temporal at all."""
    if running is None:
        running = await repository.active_enrollments(session, customer_id)
    signalled = 0
    for enrollment in running:
        signalled += await signal(temporal, enrollment.workflow_id, name, payload)
    return signalled


async def record_step(session: AsyncSession, reached: StepReached) -> None:
    """Called as the workflow enters a step; a retry of the same visit adds nothing."""
    await repository.add_step_arrival(session, reached.model_dump())
    row = await repository.enrollment_by_run(session, reached.workflow_id, reached.enrollment_key)
    if row is not None and row.status != "exited":
        row.step = reached.step


async def record_exit(session: AsyncSession, exited: EnrollmentExit) -> None:
    """Called by the workflow's last activity; a retry finds the row already closed."""
    row = await repository.enrollment_by_run(session, exited.workflow_id, exited.enrollment_key)
    if row is None:  # started without the consumer (a test, a benchmark, the API)
        row = Enrollment(
            id=str(uuid.uuid4()),
            chain_id=exited.chain_id,
            version=exited.version,
            customer_id=exited.customer_id,
            workflow_id=exited.workflow_id,
            trigger_event_id=exited.enrollment_key,
            holdout=exited.holdout,
            enrolled_at=exited.exited_at,
        )
        session.add(row)
    elif row.status == "exited":
        return
    row.status, row.exit_reason, row.touches = "exited", exited.reason, exited.touches
    row.exit_step = exited.step
    row.last_touch_at, row.exited_at = exited.last_touch_at, exited.exited_at
    payload = ChainExitedPayload(
        chain_id=exited.chain_id,
        workflow_id=exited.workflow_id,
        chain_version=exited.version,
        reason=exited.reason,
    )
    await outbox.add(session, ChainExited(customer_id=exited.customer_id, payload=payload))
