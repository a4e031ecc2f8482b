"""`branch`: the first case whose condition holds decides where the chain goes."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from orchestrator.definitions.facts import compare, lookup
    from orchestrator.definitions.model import AttributeIs, BranchStep, Condition, EventSeen
    from orchestrator.workflows.context import StepContext


async def run_branch(ctx: StepContext, step: BranchStep) -> str | None:
    for case in step.cases:
        if await holds(ctx, case.when):
            return case.goto
    return ctx.next_of(step)


async def holds(ctx: StepContext, condition: Condition) -> bool:
    if isinstance(condition, EventSeen):
        return ctx.state.has_seen(condition.event, condition.of_step)
    if isinstance(condition, AttributeIs):
        scope, _, path = condition.field.partition(".")
        facts = ctx.state.trigger if scope == "trigger" else (await ctx.facts()).profile
        return compare(lookup(facts, path), condition.op, condition.value)
    return condition.segment in await ctx.segments()
