"""Enrolling customers into chains when their trigger events arrive."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from kit.clock import utcnow
from kit.contracts import ChainEnrolled, ChainEnrolledPayload, MemberRegistered
from orchestrator.models import Enrollment, outbox
from orchestrator.workflows import chain_workflow_id
from orchestrator.workflows.messages import ChainInput, TriggerSignalV1
from orchestrator.workflows.welcome import WelcomeChain

WELCOME_CHAIN = "welcome"
WELCOME_VERSION = 1


async def enroll_in_welcome(
    session: AsyncSession, temporal: Client, task_queue: str, event: MemberRegistered
) -> None:
    assert event.customer_id is not None
    workflow_id = chain_workflow_id(WELCOME_CHAIN, event.customer_id)
    chain = ChainInput(
        chain_id=WELCOME_CHAIN,
        version=WELCOME_VERSION,
        customer_id=event.customer_id,
        trigger_event_id=str(event.id),
    )
    try:
        await temporal.start_workflow(
            WelcomeChain.run,
            chain,
            id=workflow_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            start_signal="trigger",
            start_signal_args=[TriggerSignalV1(event_id=str(event.id), event_type=event.type)],
        )
    except WorkflowAlreadyStartedError:
        return  # the welcome chain is entered once per customer, ever
    session.add(
        Enrollment(
            id=str(uuid.uuid4()),
            chain_id=WELCOME_CHAIN,
            customer_id=event.customer_id,
            workflow_id=workflow_id,
            trigger_event_id=str(event.id),
            enrolled_at=utcnow(),
        )
    )
    payload = ChainEnrolledPayload(chain_id=WELCOME_CHAIN, workflow_id=workflow_id)
    await outbox.add(session, ChainEnrolled(customer_id=event.customer_id, payload=payload))
