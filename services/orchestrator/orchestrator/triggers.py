"""Which published chains an event starts, and what running enrollments hear of it."""

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.contracts.loyalty import PurchaseConfirmed
from kit.contracts.notifier import MessagePayload
from kit.events import Event
from kit.tracing import event_context
from orchestrator import analytics, repository
from orchestrator.chains import published_definition
from orchestrator.definitions.facts import compare, lookup
from orchestrator.definitions.model import (
    SEGMENT_ENTERED,
    ChainDefinition,
    EventTrigger,
    SegmentEnteredTrigger,
)
from orchestrator.enrollments import Runtime, enroll, signal, signal_all
from orchestrator.models import ChainVersion, CustomerFact, Enrollment
from orchestrator.workflows import chain_workflow_id, parse_source
from orchestrator.workflows.messages import CustomerEventV1, MessageEventV1, PurchaseSignalV2

log = logging.getLogger(__name__)


def as_signal(event: Event) -> CustomerEventV1:
    return CustomerEventV1(
        event_id=str(event.id),
        event_type=event.type,
        payload=event.payload.model_dump(mode="json"),
    )


def trigger_key_of(event: Event) -> str:
    return "segment_entered" if event.type == SEGMENT_ENTERED else event.type


def matches(chain: ChainDefinition, signal_: CustomerEventV1, facts: dict[str, Any]) -> bool:
    trigger = chain.trigger
    if isinstance(trigger, SegmentEnteredTrigger):
        payload = signal_.payload
        return bool(
            {payload.get("segment_id"), payload.get("segment_name")} & set(trigger.segments)
        )
    if isinstance(trigger, EventTrigger):
        scope = {"payload": signal_.payload, "facts": facts}
        return all(compare(lookup(scope, f.field), f.op, f.value) for f in trigger.filters)
    return False


def trigger_time(event: Event) -> datetime:
    """When the trigger happened: a purchase's own time (its envelope is stamped later)."""
    if isinstance(event, PurchaseConfirmed):
        return event.payload.purchased_at
    return event.occurred_at


def bought_after(chain: ChainDefinition, facts: CustomerFact, trigger_at: datetime) -> bool:
    """The chain's goal is already met: a purchase after its trigger was handled first (each
    event type has its own consumer, so a purchase at the till often overtakes the
    registration, and a purchase that empties a cart overtakes the cart's last update)."""
    last = facts.last_purchase_at
    return chain.exits.on_purchase and last is not None and last > trigger_at


async def start_chains(
    session: AsyncSession,
    runtime: Runtime,
    event: Event,
    facts: CustomerFact | None = None,
    versions: Sequence[ChainVersion] | None = None,
) -> int:
    """Starts the chains the event triggers, unless the customer has bought since it
    (``versions``: the chains its kind of event starts, when the caller has read them)."""
    customer_id = event.customer_id
    if customer_id is None:
        return 0
    started = 0
    signal_ = as_signal(event)
    if versions is None:
        versions = await repository.active_versions_for(session, trigger_key_of(event))
    for published in versions:
        chain = ChainDefinition.model_validate(published.definition)
        known = {"purchase_count": facts.purchase_count} if facts else {}
        if not matches(chain, signal_, known):
            continue
        # Locked before deciding, so a purchase handled meanwhile waits and then sees this
        # enrollment, or went first and is seen here.
        facts = facts or await repository.locked_facts(session, customer_id)
        if bought_after(chain, facts, trigger_time(event)):
            log.info("goal met before the trigger", extra={"chain_id": chain.id})
            continue
        zone = signal_.payload.get("time_zone")
        entered = await enroll(
            session, runtime, chain, published.version, customer_id, signal_, zone
        )
        started += entered is not None
    return started


async def customer_turn(session: AsyncSession, customer_id: str | None) -> CustomerFact | None:
    """The customer's facts, locked: a handler that writes more of the customer's rows takes
    this first, in the order a purchase takes it, so two consumers never deadlock on them."""
    return await repository.locked_facts(session, customer_id) if customer_id else None


async def on_customer_event(
    session: AsyncSession, runtime: Runtime, event: Event, facts: CustomerFact | None = None
) -> None:
    """Running enrollments whose chain can act on it hear it first (a cart refresh, a return;
    `ChainDefinition.hears`), then it may start chains."""
    if event.customer_id is None:
        return
    running = await repository.active_enrollments(session, event.customer_id)
    await _heard(session, runtime, event, running, facts)


async def on_customer_events(
    session: AsyncSession, runtime: Runtime, events: Sequence[Event]
) -> None:
    """``on_customer_event`` of a batch of one kind of event, in one transaction: the
    customers' running enrollments and the chains this kind starts are read once. The events
    go in customer order (each customer's in stream order), so the facts a chain's start locks
    are taken in the order a purchase takes them; each event in its own trace."""
    mine = sorted((e for e in events if e.customer_id), key=lambda e: e.customer_id or "")
    if not mine:
        return
    running = await repository.active_enrollments_of(session, [e.customer_id or "" for e in mine])
    versions = await repository.active_versions_for(session, trigger_key_of(mine[0]))
    seen: set[str] = set()
    for event in mine:
        customer = event.customer_id or ""
        if customer in seen:  # an earlier event of the batch may have started or ended some
            running[customer] = [*await repository.active_enrollments(session, customer)]
        seen.add(customer)
        with event_context(str(event.id)):
            await _heard(session, runtime, event, running.get(customer, []), None, versions)


async def _heard(
    session: AsyncSession,
    runtime: Runtime,
    event: Event,
    running: Sequence[Enrollment],
    facts: CustomerFact | None,
    versions: Sequence[ChainVersion] | None = None,
) -> None:
    customer_id = event.customer_id or ""
    hearing = [e for e in running if await _hears(session, e, event.type)]
    await signal_all(
        session, runtime.temporal, customer_id, "customer_event", as_signal(event), hearing
    )
    await start_chains(session, runtime, event, facts, versions)


async def _hears(session: AsyncSession, enrollment: Enrollment, event_type: str) -> bool:
    """A version no longer found hears everything, as before it was known what it hears."""
    chain = await published_definition(session, enrollment.chain_id, enrollment.version)
    return chain is None or chain.hears(event_type)


async def on_purchase(session: AsyncSession, runtime: Runtime, event: PurchaseConfirmed) -> None:
    """Ends every running enrollment of the customer, then starts purchase-triggered chains."""
    await on_purchases(session, runtime, [event])


async def on_purchases(
    session: AsyncSession, runtime: Runtime, events: Sequence[PurchaseConfirmed]
) -> None:
    """``on_purchase`` of a batch. What serves every purchase at once: the customers' facts,
    locked first (in customer order, as a registration or return locks its customer's first),
    the purchases recorded, the candidate enrollments and the chains a purchase starts read.
    Then each purchase on its own, in order and in its own trace: its customer's facts, its
    conversions, the signals to running enrollments and the chains it starts."""
    mine = sorted((e for e in events if e.customer_id), key=lambda e: e.customer_id or "")
    if not mine:
        return
    customers = [e.customer_id or "" for e in mine]
    facts = await repository.locked_facts_of(session, customers)
    await analytics.record_purchases(session, mine)
    earliest = analytics.lookback_from(min(e.payload.purchased_at for e in mine))
    candidates = await repository.purchase_candidates_of(session, customers, earliest)
    versions = await repository.active_versions_for(session, trigger_key_of(mine[0]))
    seen: set[str] = set()
    for event, customer in zip(mine, customers, strict=True):
        if customer in seen:  # an earlier purchase of the batch may have converted some
            candidates[customer] = [
                *await repository.purchase_candidates(session, customer, earliest)
            ]
        seen.add(customer)
        with event_context(str(event.id)):
            mine_now = candidates.get(customer, [])
            await _purchased(session, runtime, event, facts[customer], mine_now, versions)


async def _purchased(
    session: AsyncSession,
    runtime: Runtime,
    event: PurchaseConfirmed,
    facts: CustomerFact,
    candidates: Sequence[tuple[Enrollment, bool]],
    versions: Sequence[ChainVersion],
) -> None:
    purchase = event.payload
    facts.purchase_count += 1
    # The latest purchase wins whatever order purchases are handled in.
    if facts.last_purchase_at is None or facts.last_purchase_at < purchase.purchased_at:
        facts.last_purchase_at = purchase.purchased_at
    earliest = analytics.lookback_from(purchase.purchased_at)
    candidates = [c for c in candidates if c[0].status == "active" or c[0].enrolled_at >= earliest]
    await analytics.record_conversions(session, event, candidates)
    running = [e for e, _ in candidates if e.status == "active"]
    if running:
        signal_ = PurchaseSignalV2(
            purchase_id=purchase.purchase_key,
            occurred_at=purchase.purchased_at,
            amount=purchase.paid_amount,
            redeemed_points=purchase.redeemed_points,
        )
        customer_id = facts.customer_id
        await signal_all(session, runtime.temporal, customer_id, "purchase", signal_, running)
    await start_chains(session, runtime, event, facts, versions)


async def on_message(
    session: AsyncSession, runtime: Runtime, event: Event, costs: dict[str, int]
) -> None:
    message: MessagePayload = event.payload
    await analytics.record_message(session, event.type, message, costs)
    source = parse_source(message.source_ref)
    if source is None or event.customer_id is None:
        return
    chain_id, _, step = source
    workflow_id = chain_workflow_id(chain_id, event.customer_id)
    if not await repository.is_running(session, workflow_id):
        return  # the enrollment has ended: nothing to wake, no call to Temporal
    heard = MessageEventV1(
        event_type=event.type, delivery_id=message.delivery_id, channel=message.channel, step=step
    )
    await signal(runtime.temporal, workflow_id, "message_event", heard)
