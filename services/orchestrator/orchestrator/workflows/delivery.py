"""A message as a child workflow: the notifier's `DeliveryWorkflow` on the notifier's queue.

The child's id is derived from the step's idempotency key, so a retried workflow task, a
replay or a re-delivered trigger never starts a second delivery; its result (the delivery's
final status and channel) tells the chain whether the message left.
"""

from datetime import timedelta
from typing import TYPE_CHECKING

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ChildWorkflowError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from kit.contracts.delivery import DELIVERY_WORKFLOW, DeliveryResult, delivery_workflow_id
    from orchestrator.workflows.messages import SendMessage, SendResult

if TYPE_CHECKING:  # the context starts deliveries through this module
    from orchestrator.workflows.context import StepContext

# The notifier retries a contact it does not know yet; after a day the chain moves on.
GIVE_UP_AFTER = timedelta(days=1)
REACTIONS = frozenset({"delivered", "opened", "clicked"})


async def deliver_as_child(ctx: "StepContext", step_id: str, message: SendMessage) -> str:
    """The delivery's final status; `failed` when no channel took it or the chain gave up."""
    try:
        child = await workflow.start_child_workflow(
            DELIVERY_WORKFLOW,
            message.notifier_body(),
            id=delivery_workflow_id(message.idempotency_key),
            task_queue=ctx.input.notifier_task_queue,
            result_type=DeliveryResult,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            # A purchase ends the chain: a cascade still waiting to send must stop with it.
            parent_close_policy=workflow.ParentClosePolicy.REQUEST_CANCEL,
            cancellation_type=workflow.ChildWorkflowCancellationType.TRY_CANCEL,
        )
    except WorkflowAlreadyStartedError:
        return await _started_before(ctx, message)
    if not await ctx.wait(GIVE_UP_AFTER, until=child.done):
        # The chain ends (a purchase) or gave up: a cascade still waiting must not go on.
        child.cancel()
        return "sent" if ctx.state.exit_reason is not None else "failed"
    return _heard(ctx, step_id, child)


def _heard(ctx: "StepContext", step_id: str, child: "workflow.ChildWorkflowHandle") -> str:
    try:
        outcome: DeliveryResult = child.result()
    except ChildWorkflowError as exc:
        workflow.logger.warning("delivery %s failed: %s", child.id, exc.cause)
        return "failed"
    ctx.state.deliveries[outcome.delivery_id] = step_id
    if outcome.status in REACTIONS:
        ctx.state.see(f"message.{outcome.status}", step_id)
    return outcome.status


async def _started_before(ctx: "StepContext", message: SendMessage) -> str:
    """The same key was delivered before (a re-run of the same trigger): the notifier's
    `POST /deliveries` answers with that delivery, idempotently, and sends nothing new."""
    result = await ctx.activity("send_message", message, SendResult)
    return result.status
