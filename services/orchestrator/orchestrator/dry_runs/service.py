"""Walks a chain for one customer with the interpreter's own steps, sending and granting
nothing: which steps at what time, where each message would go, which grants."""

from datetime import datetime, timedelta

from kit.clock import utcnow
from kit.contracts.dry_run import AssumedEvent, DryRunOut
from orchestrator.activities import ChainActivities
from orchestrator.chains import trigger_key
from orchestrator.definitions.facts import in_holdout
from orchestrator.definitions.model import ChainDefinition
from orchestrator.dry_runs.context import DryRunContext
from orchestrator.dry_runs.schemas import DryRunIn
from orchestrator.workflows.chain import in_audience
from orchestrator.workflows.messages import ChainInput, EnrollmentState
from orchestrator.workflows.signals import hear_customer_event
from orchestrator.workflows.steps import RUNNERS

# A loop of waits would walk for ever: the run stops after this long or this many steps.
HORIZON = timedelta(days=400)
MAX_STEPS = 200


async def walk(
    definition: ChainDefinition, version: int | None, ask: DryRunIn, facts: ChainActivities
) -> DryRunOut:
    start = ask.start_at or utcnow()
    chain_input = ChainInput(
        chain=definition,
        version=version or 0,
        customer_id=ask.customer_id,
        enrollment_key="dry-run",
        time_zone=ask.time_zone,
    )
    state = EnrollmentState(started_at=start)
    ctx = DryRunContext(chain_input, state, start, facts, _assumed(ask))
    hear_customer_event(definition, state, trigger_key(definition), ask.assume.trigger)
    ctx.hear_until_now()
    if not await in_audience(ctx):
        state.exit("not_in_audience")
    await _steps(ctx, definition.steps[0].id, start)
    return DryRunOut(
        chain_id=definition.id,
        version=version,
        customer_id=ask.customer_id,
        holdout=in_holdout(definition.id, ask.customer_id, definition.holdout_share),
        started_at=start,
        steps=ctx.path,
        exit_reason=state.exit_reason or "completed",
        exited_at=ctx.clock,
    )


async def _steps(ctx: DryRunContext, first: str, start: datetime) -> None:
    step_id: str | None = first
    while step_id is not None and ctx.state.exit_reason is None:
        if len(ctx.path) >= MAX_STEPS or ctx.clock - start > HORIZON:
            ctx.state.exit("dry_run_horizon")
            return
        step = ctx.chain.step(step_id)
        record = ctx.arrive(step)
        step_id = await RUNNERS[step.kind](ctx, step)
        record.left_at, record.next = ctx.clock, step_id


def _assumed(ask: DryRunIn) -> list[AssumedEvent]:
    events = list(ask.assume.events)
    if ask.assume.purchase_at is not None:
        events.append(AssumedEvent(type="purchase", at=ask.assume.purchase_at))
    return events
