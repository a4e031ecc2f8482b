"""`grant_bonus`: points through loyalty, keyed so a retried call never grants twice."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from orchestrator.definitions.model import GrantBonusStep
    from orchestrator.workflows.context import StepContext
    from orchestrator.workflows.messages import GrantRequest, GrantResult


async def run_grant(ctx: StepContext, step: GrantBonusStep) -> str | None:
    if ctx.holdout:
        return ctx.next_of(step)
    active_from = ctx.now() + timedelta(days=step.active_after_days)
    request = GrantRequest(
        idempotency_key=ctx.key(step.id),
        member_id=ctx.input.customer_id,
        amount=step.amount,
        lifetime_days=step.lifetime_days,
        active_from=active_from if step.active_after_days else None,
        reference=ctx.source(step.id),
        restrictions=step.restrictions.model_dump(exclude_none=True) if step.restrictions else None,
    )
    granted = await ctx.activity("grant_bonus", request, GrantResult)
    ctx.state.granted_points += granted.amount
    ctx.state.points_expire_at = granted.expires_at or ctx.state.points_expire_at
    return ctx.next_of(step)
