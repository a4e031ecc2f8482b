"""What segments consumes: each subscription is a durable JetStream consumer.

Every handler projects the event, then re-evaluates that customer's segments at once, in the
same transaction as the event id is recorded (so a redelivered event changes nothing). In a
batch (``kit.consumers.idempotent_batch``) each event is projected as alone, and each customer
is re-evaluated once after all of them.
"""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.bus import BatchHandler, Subscription
from kit.clock import utcnow
from kit.consumers import idempotent, idempotent_batch
from kit.contracts.gateway import CartCleared, CartUpdated, ProductViewed
from kit.contracts.loyalty import (
    MemberRegistered,
    MemberTierChanged,
    MemberUpdated,
    PurchaseConfirmed,
    PurchaseReturned,
)
from kit.contracts.notifier import MessageClicked, MessageOpened, MessageSent
from kit.db import SessionFactory
from kit.events import Event
from kit.tracing import event_context
from segments import projection
from segments.domain.rules import PURCHASES
from segments.models import CustomerProfile, processed_events
from segments.recompute import Inputs, Refresher, SegmentConfig, refresh_customer

CONSUMER = "segments"
# A projection answers the customer's profile as it left it (locked for the transaction).
Project = Callable[[AsyncSession, Any], Awaitable[CustomerProfile]]
Handle = Callable[[AsyncSession, Any], Awaitable[None]]
ProjectAll = Callable[[AsyncSession, Sequence[Event]], Awaitable[None]]
ProjectBatch = Callable[[AsyncSession, Sequence[Any]], Awaitable[dict[str, CustomerProfile]]]

HANDLERS: tuple[tuple[type[Event], Project], ...] = (
    (MemberRegistered, projection.record_registration),
    (MemberUpdated, projection.record_member_update),
    (MemberTierChanged, projection.record_tier_change),
    (PurchaseConfirmed, projection.record_purchase),
    (PurchaseReturned, projection.record_return),
    (MessageSent, projection.record_message),
    (MessageOpened, projection.record_engagement),
    (MessageClicked, projection.record_engagement),
    (CartUpdated, projection.record_cart),
    (CartCleared, projection.record_cart),
    (ProductViewed, projection.record_view),
)


# What each projection can change, as the inputs rules read (``domain.rules.inputs_read``);
# None: anything, including the time zone every day count depends on.
CHANGES: dict[Project, Inputs] = {
    projection.record_registration: None,
    projection.record_member_update: None,
    projection.record_tier_change: frozenset({"tier"}),
    projection.record_purchase: frozenset({PURCHASES}),
    projection.record_return: frozenset({PURCHASES}),
    projection.record_message: frozenset(),
    projection.record_engagement: frozenset({"engagement"}),
    projection.record_cart: frozenset({"cart_total"}),
    projection.record_view: frozenset(),
}


def then_refresh(project: Project, config: SegmentConfig) -> Handle:
    changed = CHANGES.get(project)

    async def handle(session: AsyncSession, event: Event) -> None:
        if event.customer_id is None:
            return
        profile = await project(session, event)
        await refresh_customer(session, config, profile, utcnow(), changed)

    return handle


# Projections of a whole batch in set-based statements, where an event kind has one.
BATCH_PROJECTIONS: dict[Project, ProjectBatch] = {
    projection.record_purchase: projection.record_purchases,
}


def then_refresh_each(project: Project, config: SegmentConfig) -> ProjectAll:
    """The batch form of ``then_refresh``: each customer refreshed once, after their events,
    and all of them in one evaluation."""
    changed = CHANGES.get(project)
    project_all = BATCH_PROJECTIONS.get(project)

    async def handle(session: AsyncSession, events: Sequence[Event]) -> None:
        # In customer order, the same in every batch, so two batches lock profiles in one
        # order and never deadlock; projections are order-free, and a customer's events keep
        # their stream order (the sort is stable).
        about = sorted((e for e in events if e.customer_id), key=lambda e: e.customer_id or "")
        # Membership events carry the trace of the customer's last event of the batch.
        traces = {e.customer_id or "": str(e.id) for e in about}
        if project_all is not None:
            profiles = await project_all(session, about)
        else:
            profiles = {}
            for event in about:
                with event_context(str(event.id)):
                    profiles[event.customer_id or ""] = await project(session, event)
        refresher = await Refresher.prepare(session, config, utcnow(), changed)
        await refresher.refresh_all(list(profiles.values()), traces)

    return handle


def handler_for(
    sessions: SessionFactory, project: Project, config: SegmentConfig
) -> Callable[[Event], Awaitable[None]]:
    return idempotent(sessions, processed_events, CONSUMER, then_refresh(project, config))


def batch_handler_for(
    sessions: SessionFactory, project: Project, config: SegmentConfig
) -> BatchHandler:
    return idempotent_batch(
        sessions, processed_events, CONSUMER, then_refresh_each(project, config)
    )


def subscriptions(
    sessions: SessionFactory, config: SegmentConfig | None = None
) -> list[Subscription]:
    config = config or SegmentConfig()
    return [
        Subscription(
            CONSUMER,
            event,
            handler_for(sessions, project, config),
            batch_handler=batch_handler_for(sessions, project, config),
        )
        for event, project in HANDLERS
    ]
