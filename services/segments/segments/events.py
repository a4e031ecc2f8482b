"""What segments consumes: each subscription is a durable JetStream consumer.

Every handler projects the event, then re-evaluates that customer's segments at once, in the
same transaction as the event id is recorded (so a redelivered event changes nothing).
"""

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.bus import Subscription
from kit.clock import utcnow
from kit.consumers import idempotent
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
from segments import projection
from segments.domain.rules import PURCHASES
from segments.models import processed_events
from segments.recompute import Inputs, SegmentConfig, refresh_customer

CONSUMER = "segments"
Project = Callable[[AsyncSession, Any], Awaitable[None]]

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


def then_refresh(project: Project, config: SegmentConfig) -> Project:
    changed = CHANGES.get(project)

    async def handle(session: AsyncSession, event: Event) -> None:
        if event.customer_id is None:
            return
        await project(session, event)
        await refresh_customer(session, config, event.customer_id, utcnow(), changed)

    return handle


def handler_for(
    sessions: SessionFactory, project: Project, config: SegmentConfig
) -> Callable[[Event], Awaitable[None]]:
    return idempotent(sessions, processed_events, CONSUMER, then_refresh(project, config))


def subscriptions(
    sessions: SessionFactory, config: SegmentConfig | None = None
) -> list[Subscription]:
    config = config or SegmentConfig()
    return [
        Subscription(CONSUMER, event, handler_for(sessions, project, config))
        for event, project in HANDLERS
    ]
