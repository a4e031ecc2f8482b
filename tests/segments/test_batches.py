"""Segments' consumers in batches: the state one event at a time gives, in one transaction per
batch, each customer's segments evaluated once per batch."""

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, func, select

from kit.bus import EventBus, consume
from kit.contracts.loyalty import PurchaseConfirmed
from kit.db import SessionFactory, unit_of_work
from kit.events import Event
from kit.testing import wait_for
from segments.events import HANDLERS, batch_handler_for, subscriptions
from segments.models import CustomerProfile, processed_events
from segments.recompute import SegmentConfig
from tests.segments.conftest import deliver, profile_of, purchase, registered
from tests.segments.test_projection import history, same_history_for, state

NOW = datetime.now(UTC)


async def deliver_in_batches(sessions: SessionFactory, events: list[Event]) -> None:
    """Each event type's events as one batch, as one consumer would fetch them."""
    projects = dict(HANDLERS)
    by_type: dict[type[Event], list[Event]] = defaultdict(list)
    for one in events:
        by_type[type(one)].append(one)
    for kind, batch in by_type.items():
        await batch_handler_for(sessions, projects[kind], SegmentConfig())(batch)


@contextmanager
def statements(sessions: SessionFactory) -> Iterator[list[str]]:
    """Every SQL statement the engine behind ``sessions`` runs meanwhile."""
    engine = sessions.kw["bind"].sync_engine
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def evaluations(seen: list[str]) -> int:
    """The statements that evaluate customers' segments (``evaluate_customers``)."""
    return sum("string_agg" in statement for statement in seen)


async def test_a_batch_ends_in_the_state_one_event_at_a_time_gives(
    sessions: SessionFactory,
) -> None:
    alone = [str(uuid.uuid4()) for _ in range(3)]
    for customer in alone:
        await deliver(sessions, *history(customer))
    expected = [await state(sessions, customer) for customer in alone]

    batched = [str(uuid.uuid4()) for _ in range(3)]
    events = [e for c in batched for e in same_history_for(c, history(c))]
    with statements(sessions) as seen:
        await deliver_in_batches(sessions, events)
    assert [await state(sessions, customer) for customer in batched] == expected
    # Five event types: one evaluation per batch for all its customers, not one per event
    # nor one per customer.
    assert evaluations(seen) == 5 < len(events)


async def test_an_event_applied_before_is_skipped_inside_a_batch(sessions: SessionFactory) -> None:
    member = registered()
    customer = member.customer_id or ""
    first = purchase(customer, NOW - timedelta(days=3), amount=1200)
    await deliver(sessions, member, first)
    second = purchase(customer, NOW - timedelta(days=2), amount=800)
    await deliver_in_batches(sessions, [first, second, second])
    profile = await profile_of(sessions, customer)
    assert (profile.purchase_count, profile.lifetime_spend) == (2, 2000)


async def test_a_burst_from_nats_is_applied_in_few_transactions(
    sessions: SessionFactory, bus: EventBus
) -> None:
    customers = [str(uuid.uuid4()) for _ in range(3)]
    bought = [
        purchase(customer, NOW - timedelta(days=day), amount=1000)
        for day in range(1, 5)
        for customer in customers
    ]
    for one in bought:
        await bus.publish(one)
    sub = next(s for s in subscriptions(sessions) if s.event is PurchaseConfirmed)

    async def all_counted() -> bool:
        query = select(CustomerProfile.purchase_count).where(
            CustomerProfile.customer_id.in_(customers)
        )
        async with sessions() as session:
            counts = (await session.scalars(query)).all()
        return list(counts) == [4, 4, 4]

    stop = asyncio.Event()
    with statements(sessions) as seen:
        task = asyncio.create_task(consume(bus, sub, stop))
        try:
            await wait_for(all_counted, "every purchase counted", timeout=60)
        finally:
            stop.set()
            await task
    ids = [str(one.id) for one in bought]
    stamps = select(func.count(func.distinct(processed_events.c.processed_at))).where(
        processed_events.c.event_id.in_(ids)
    )
    async with unit_of_work(sessions) as session:
        transactions = int((await session.execute(stamps)).scalar_one())
    assert transactions < len(bought)
    assert evaluations(seen) < len(bought)


async def test_a_batch_of_purchases_is_projected_in_as_few_statements_as_one(
    sessions: SessionFactory,
) -> None:
    members = [registered() for _ in range(4)]
    customers = [member.customer_id or "" for member in members]
    for member, customer in zip(members, customers, strict=True):
        await deliver(sessions, member, purchase(customer, NOW - timedelta(days=3), amount=1200))
    newcomer = str(uuid.uuid4())  # a customer the batch is the first news of
    batch: list[Event] = [purchase(c, NOW - timedelta(days=1)) for c in [*customers, newcomer]]
    with statements(sessions) as seen:
        await deliver_in_batches(sessions, batch)
    said = [" ".join(statement.split()) for statement in seen]
    # The profiles are locked, and the newcomer's created, by one statement in all.
    assert sum(s.startswith("INSERT INTO customer_profiles") for s in said) == 1
    assert not any(s.endswith("FOR UPDATE") for s in said)
    # A new purchase's net amount is set as it is stored: no second write of it.
    assert not any(s.startswith(("UPDATE purchases", "UPDATE purchase_categories")) for s in said)
    # The events' ids; the profiles; the purchases; their categories; the totals; the
    # profiles' update; the memberships' lock; the segments; the customers' evaluation; the
    # newcomer's recency bucket and its event. Five purchases, as few statements as one.
    assert len(said) <= 11, said
    assert evaluations(seen) == 1
    for customer in customers:
        profile = await profile_of(sessions, customer)
        assert (profile.purchase_count, profile.lifetime_spend) == (2, 2200)
    assert (await profile_of(sessions, newcomer)).purchase_count == 1
