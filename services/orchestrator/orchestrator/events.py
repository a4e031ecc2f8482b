"""What the orchestrator consumes: triggers, purchases, messages and grants of its chains."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.bus import Subscription
from kit.consumers import idempotent, idempotent_batch
from kit.contracts.gateway import CartCleared, CartUpdated
from kit.contracts.loyalty import (
    BonusExpiring,
    BonusGranted,
    MemberRegistered,
    MemberTierChanged,
    PurchaseConfirmed,
    PurchaseReturned,
)
from kit.contracts.notifier import (
    MessageClicked,
    MessageDelivered,
    MessageFailed,
    MessageOpened,
    MessageSent,
)
from kit.contracts.segments import SegmentEntered
from kit.events import Event
from kit.resources import Resources
from orchestrator import analytics, triggers
from orchestrator.enrollments import Runtime, runtime_from
from orchestrator.models import processed_events
from orchestrator.settings import OrchestratorSettings

CONSUMER = "orchestrator"
CUSTOMER_EVENTS: tuple[type[Event], ...] = (
    MemberTierChanged,
    BonusExpiring,
    CartUpdated,
    CartCleared,
    SegmentEntered,
)
MESSAGE_EVENTS: tuple[type[Event], ...] = (
    MessageSent,
    MessageDelivered,
    MessageOpened,
    MessageClicked,
    MessageFailed,
)
Handle = Callable[[AsyncSession, Any], Awaitable[None]]
HandleAll = Callable[[AsyncSession, Sequence[Any]], Awaitable[None]]


def subscriptions(resources: Resources, settings: OrchestratorSettings) -> list[Subscription]:
    async def runtime() -> Runtime:
        return runtime_from(settings, await resources.temporal())

    async def on_customer_event(session: AsyncSession, event: Event) -> None:
        await triggers.on_customer_event(session, await runtime(), event)

    async def on_purchase(session: AsyncSession, event: PurchaseConfirmed) -> None:
        await triggers.on_purchase(session, await runtime(), event)

    async def on_purchases(session: AsyncSession, events: Sequence[PurchaseConfirmed]) -> None:
        await triggers.on_purchases(session, await runtime(), events)

    async def on_customer_events(session: AsyncSession, events: Sequence[Event]) -> None:
        await triggers.on_customer_events(session, await runtime(), events)

    async def on_message(session: AsyncSession, event: Event) -> None:
        await triggers.on_message(session, await runtime(), event, settings.channel_costs)

    async def on_registered(session: AsyncSession, event: MemberRegistered) -> None:
        facts = await triggers.customer_turn(session, event.customer_id)
        await analytics.record_member(session, event)
        await triggers.on_customer_event(session, await runtime(), event, facts)

    async def on_return(session: AsyncSession, event: PurchaseReturned) -> None:
        facts = await triggers.customer_turn(session, event.customer_id)
        await analytics.record_return(session, event)
        await triggers.on_customer_event(session, await runtime(), event, facts)

    async def on_grant(session: AsyncSession, event: BonusGranted) -> None:
        await analytics.record_grant(session, event)

    handlers: list[tuple[type[Event], Handle]] = [
        *((kind, on_customer_event) for kind in CUSTOMER_EVENTS),
        *((kind, on_message) for kind in MESSAGE_EVENTS),
        (PurchaseConfirmed, on_purchase),
        (PurchaseReturned, on_return),
        (MemberRegistered, on_registered),
        (BonusGranted, on_grant),
    ]
    # Batch forms (kit.consumers.idempotent_batch): one transaction for a fetch of events.
    batches: dict[type[Event], HandleAll] = {
        PurchaseConfirmed: on_purchases,
        **{kind: on_customer_events for kind in CUSTOMER_EVENTS},
    }
    sessions = resources.sessions
    return [
        Subscription(
            CONSUMER,
            kind,
            idempotent(sessions, processed_events, CONSUMER, handle),
            batch_handler=idempotent_batch(sessions, processed_events, CONSUMER, batches[kind])
            if kind in batches
            else None,
        )
        for kind, handle in handlers
    ]
