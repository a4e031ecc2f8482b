"""`wait`: a duration, until the customer's local time of day, or for an event with a timeout."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from orchestrator.definitions.localtime import next_local_time
    from orchestrator.definitions.model import (
        WaitDuration,
        WaitForEvent,
        WaitStep,
        WaitUntilLocalTime,
    )
    from orchestrator.workflows.context import StepContext


async def run_wait(ctx: StepContext, step: WaitStep) -> str | None:
    wait = step.wait
    if isinstance(wait, WaitDuration):
        await ctx.wait(wait.duration)
    elif isinstance(wait, WaitUntilLocalTime):
        await ctx.wait(await _until_local(ctx, wait))
    elif isinstance(wait, WaitForEvent):
        return await _for_event(ctx, step, wait)
    return ctx.next_of(step)


async def _until_local(ctx: StepContext, wait: WaitUntilLocalTime) -> timedelta:
    zone = await ctx.time_zone()
    now = ctx.now()
    with workflow.unsafe.sandbox_unrestricted():  # reads the tz database: same answer on replay
        target = next_local_time(now, zone, wait.at, wait.after_days)
    return target - now


async def _for_event(ctx: StepContext, step: WaitStep, wait: WaitForEvent) -> str | None:
    # An event of a named send counts even if it came before the wait began (a fast click).
    since = 0 if wait.of_step else len(ctx.state.seen)
    arrived = await ctx.wait(
        wait.timeout, until=lambda: ctx.state.has_seen(wait.event, wait.of_step, since)
    )
    if arrived or ctx.state.exit_reason:
        return ctx.next_of(step)
    return wait.on_timeout or ctx.next_of(step)
