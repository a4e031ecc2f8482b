"""ChainWorkflow: one enrollment of one customer in one pinned version of a chain.

The interpreter only walks from step to step; each step kind is its own module in `steps/`.
Exit conditions are checked before every step and applied by every signal, so a purchase
wakes any wait at once.
"""

from temporalio import workflow
from temporalio.common import SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from orchestrator.workflows.context import StepContext
    from orchestrator.workflows.messages import (
        CancelSignalV1,
        ChainInput,
        ChainResult,
        ChainStatus,
        CustomerEventV1,
        EnrollmentExit,
        EnrollmentState,
        MessageEventV1,
        PurchaseSignal,
        PurchaseSignalV2,
        StepReached,
    )
    from orchestrator.workflows.signals import hear_customer_event, hear_purchase
    from orchestrator.workflows.steps import RUNNERS

STATUS_ATTRIBUTE = SearchAttributeKey.for_keyword("EnrollmentStatus")
# Patch ids: a change to the commands a workflow issues goes behind one, so enrollments started
# on the previous code replay unchanged. Remove a patch once no workflow from before it is open.
PATCH_EXIT_STATUS = "exit-status-search-attribute"
PATCH_STEP_ARRIVALS = "record-step-arrivals"


@workflow.defn(name="ChainWorkflow")
class ChainWorkflow:
    @workflow.init
    def __init__(self, chain_input: ChainInput) -> None:
        self.input = chain_input
        self.state = chain_input.carried or EnrollmentState()

    @workflow.signal(name="customer_event")
    def customer_event(self, signal: CustomerEventV1) -> None:
        """The trigger (signal-with-start) and later events: a cart refresh, a return."""
        hear_customer_event(self.input.chain, self.state, signal.event_type, signal.payload)

    @workflow.signal(name="purchase")
    def purchase(self, signal: PurchaseSignal) -> None:
        redeemed = signal.redeemed_points if isinstance(signal, PurchaseSignalV2) else 0
        hear_purchase(self.input.chain, self.state, redeemed)

    @workflow.signal(name="message_event")
    def message_event(self, signal: MessageEventV1) -> None:
        step = signal.step or self.state.deliveries.get(signal.delivery_id)
        self.state.see(signal.event_type, step)
        self.state.outcomes[signal.delivery_id] = signal.event_type

    @workflow.signal(name="cancel")
    def cancel(self, signal: CancelSignalV1 | None = None) -> None:
        self.state.exit(signal.reason if signal else "cancelled")

    @workflow.query(name="status")
    def status(self) -> ChainStatus:
        return ChainStatus(
            step=self.state.step or "start",
            touches=self.state.touches,
            purchased=self.state.has_seen("purchase", None),
            holdout=self.input.holdout,
            version=self.input.version,
        )

    @workflow.run
    async def run(self, chain_input: ChainInput) -> ChainResult:
        state = self.state
        state.started_at = state.started_at or workflow.now()
        context = StepContext(chain_input, state)
        if state.step is None and not await in_audience(context):
            state.exit("not_in_audience")
        step_id: str | None = state.step or chain_input.chain.steps[0].id
        while step_id is not None and state.exit_reason is None:
            if _history_is_long(chain_input.history_limit):
                state.step = step_id
                workflow.continue_as_new(chain_input.model_copy(update={"carried": state}))
            step = chain_input.chain.step(step_id)
            state.arrive(step.id)
            if workflow.patched(PATCH_STEP_ARRIVALS):
                await context.local_activity("record_step", self._reached(step.id))
            step_id = await RUNNERS[step.kind](context, step)
        return await self._finish(state.exit_reason or "completed")

    def _reached(self, step_id: str) -> StepReached:
        return StepReached(
            workflow_id=workflow.info().workflow_id,
            chain_id=self.input.chain.id,
            version=self.input.version,
            enrollment_key=self.input.enrollment_key,
            step=step_id,
            visit=self.state.visits[step_id],
            holdout=self.input.holdout,
            reached_at=workflow.now(),
        )

    async def _finish(self, reason: str) -> ChainResult:
        info = workflow.info()
        exited = EnrollmentExit(
            workflow_id=info.workflow_id,
            chain_id=self.input.chain.id,
            version=self.input.version,
            customer_id=self.input.customer_id,
            enrollment_key=self.input.enrollment_key,
            reason=reason,
            touches=self.state.touches,
            holdout=self.input.holdout,
            last_touch_at=self.state.last_touch_at,
            exited_at=workflow.now(),
            step=self.state.step,
        )
        await StepContext(self.input, self.state).local_activity("record_exit", exited)
        if workflow.patched(PATCH_EXIT_STATUS) and _has_search_attributes():
            workflow.upsert_search_attributes([STATUS_ATTRIBUTE.value_set("exited")])
        return ChainResult(
            exit_reason=reason,
            touches=self.state.touches,
            holdout=self.input.holdout,
            version=self.input.version,
        )


async def in_audience(context: StepContext) -> bool:
    segment = context.chain.audience.segment_id
    return segment is None or segment in await context.segments()


def _history_is_long(limit: int) -> bool:
    info = workflow.info()
    return info.is_continue_as_new_suggested() or info.get_current_history_length() > limit


def _has_search_attributes() -> bool:
    """The time-skipping test server has no custom attributes; there none were set at start."""
    return workflow.info().typed_search_attributes.get(STATUS_ATTRIBUTE) is not None
