"""`send`: a message through the notifier; the chain falls back to the next channel itself
when one is undeliverable, or hands the notifier the whole cascade."""

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from kit.contracts.common import Channel
    from orchestrator.definitions.model import SendStep
    from orchestrator.workflows.context import StepContext
    from orchestrator.workflows.messages import SendMessage, SendResult

# Deliveries became child workflows of the notifier's DeliveryWorkflow; enrollments that sent
# through the `send_message` activity before keep doing so (see `_by_activity`).
PATCH_DELIVERY_CHILD = "delivery-child-workflow"
UNDELIVERABLE = frozenset({"failed", "skipped", "undeliverable"})
LEFT = frozenset({"sent", "delivered", "opened", "clicked"})
# A delivery the notifier accepted but has not finished: its message.* event decides.
OUTCOME_WAIT = timedelta(minutes=15)


async def run_send(ctx: StepContext, step: SendStep) -> str | None:
    if _touch_limit_reached(ctx):
        ctx.state.exit("max_touches")
        return None
    if ctx.holdout:
        ctx.state.ghost_touches += 1
        ctx.state.last_touch_at = ctx.now()
        return ctx.next_of(step)
    if step.fallback == "notifier_cascade":
        await _deliver(ctx, step, _message(ctx, step, step.channels[0], cascade=True))
        return ctx.next_of(step)
    for position, channel in enumerate(step.channels):
        suffix: list[str] = [channel] if len(step.channels) > 1 else []
        message = _message(ctx, step, channel, cascade=False, key_parts=suffix)
        fallback_left = position + 1 < len(step.channels)
        if await _deliver(ctx, step, message, fallback_left) or _ended(ctx):
            break
    return ctx.next_of(step)


def _ended(ctx: StepContext) -> bool:
    """The chain exited during the send: no next channel (the code before the patch tried)."""
    return ctx.state.exit_reason is not None and ctx.patched(PATCH_DELIVERY_CHILD)


def _touch_limit_reached(ctx: StepContext) -> bool:
    limit = ctx.chain.exits.max_touches
    return limit is not None and ctx.state.touches + ctx.state.ghost_touches >= limit


def _message(
    ctx: StepContext,
    step: SendStep,
    channel: Channel,
    cascade: bool,
    key_parts: list[str] | None = None,
) -> SendMessage:
    window = step.reaction_window
    return SendMessage(
        idempotency_key=ctx.key(step.id, *(key_parts or [])),
        customer_id=ctx.input.customer_id,
        template=step.template,
        source=ctx.source(step.id),
        channel=channel,
        channels=list(step.channels) if cascade else None,
        reaction_window_seconds=int(window.total_seconds()) if cascade and window else None,
        sms_only_if_no_other_channel=step.sms_only_if_no_other_channel,
        variables={**_scalars(ctx.state.trigger), **_chain_variables(ctx), **step.variables},
    )


def _scalars(payload: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in payload.items() if isinstance(v, str | int | float | bool)}


def _chain_variables(ctx: StepContext) -> dict[str, object]:
    """What the default templates personalise with: the chain's points and the cart."""
    found: dict[str, object] = {}
    if ctx.state.granted_points:
        found["points"] = ctx.state.granted_points
    if ctx.state.points_expire_at is not None:
        found["points_expire_at"] = ctx.state.points_expire_at.isoformat()
    items = ctx.state.trigger.get("items")
    if isinstance(items, list):  # a cart.updated trigger: the items the cart holds now
        found["cart"] = items
    return found


async def _deliver(
    ctx: StepContext, step: SendStep, message: SendMessage, fallback_left: bool = False
) -> bool:
    """True when the message left; an undeliverable channel is remembered as message.failed."""
    if ctx.patched(PATCH_DELIVERY_CHILD):
        status = await ctx.deliver(step.id, message)
    else:
        status = await _by_activity(ctx, step, message, fallback_left)
    if status in UNDELIVERABLE:
        ctx.state.see("message.failed", step.id)
        return False
    ctx.state.touches += 1
    ctx.state.last_touch_at = ctx.now()
    return True


async def _by_activity(
    ctx: StepContext, step: SendStep, message: SendMessage, fallback_left: bool
) -> str:
    """Before the patch: `POST /deliveries`, then the delivery's first message.* event.

    Kept, command for command, for enrollments that started on that code."""
    try:
        result = await ctx.activity("send_message", message, SendResult)
    except ActivityError as exc:
        workflow.logger.warning("send %s failed for good: %s", message.idempotency_key, exc.cause)
        return "failed"
    ctx.state.deliveries[result.delivery_id] = step.id
    return await _outcome(ctx, result) if fallback_left else result.status


async def _outcome(ctx: StepContext, result: SendResult) -> str:
    """The answer's status when final; otherwise the first message event of the delivery.

    Only asked when another channel could take over; a silent notifier counts as sent."""
    if result.status in UNDELIVERABLE or result.status in LEFT:
        return result.status
    await ctx.wait(OUTCOME_WAIT, until=lambda: result.delivery_id in ctx.state.outcomes)
    heard = ctx.state.outcomes.get(result.delivery_id, "message.sent")
    return heard.removeprefix("message.")
