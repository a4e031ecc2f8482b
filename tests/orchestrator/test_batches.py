"""The orchestrator's purchases in batches: a burst ends every running enrollment and counts
every purchase once, in fewer transactions than purchases (real NATS, PostgreSQL, Temporal)."""

import asyncio
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select

from kit.bus import EventBus, consume
from kit.contracts.loyalty import PurchaseConfirmed
from kit.db import SessionFactory, unit_of_work
from kit.events import Event
from kit.resources import open_resources
from kit.testing import wait_for
from orchestrator.enrollments import runtime_from
from orchestrator.events import subscriptions
from orchestrator.models import Conversion, CustomerFact, Enrollment, processed_events
from orchestrator.triggers import start_chains
from tests.orchestrator.conftest import Orchestrator
from tests.orchestrator.test_enrollments import chain_body, exited, publish_chain, purchase
from tests.orchestrator.test_event_order import cart_updated, handled


async def cart_enrollments(
    orchestrator: Orchestrator, sessions: SessionFactory, n: int
) -> list[str]:
    """``n`` customers, each with a running enrollment in the cart chain."""
    await orchestrator.notifier.install("cart_reminder")
    await publish_chain(orchestrator.api, chain_body("cart", {"reentry": "after_exit"}))
    runtime = runtime_from(orchestrator.settings, orchestrator.temporal)
    customers = [await orchestrator.notifier.customer() for _ in range(n)]
    for customer in customers:
        async with unit_of_work(sessions) as session:
            assert await start_chains(session, runtime, cart_updated(customer)) == 1
    return customers


async def scalar(sessions: SessionFactory, query: object) -> int:
    async with sessions() as session:
        return int(await session.scalar(query) or 0)  # type: ignore[call-overload]


async def purchase_counts(sessions: SessionFactory, customers: Sequence[str]) -> dict[str, int]:
    query = select(CustomerFact.customer_id, CustomerFact.purchase_count).where(
        CustomerFact.customer_id.in_(customers)
    )
    async with sessions() as session:
        return {c: n for c, n in (await session.execute(query)).all()}


async def test_a_burst_of_purchases_ends_every_enrollment_each_counted_once(
    orchestrator: Orchestrator, bus: EventBus, sessions: SessionFactory
) -> None:
    customers = await cart_enrollments(orchestrator, sessions, 4)
    bought: list[Event] = [purchase(customer) for customer in customers]
    bought.append(purchase(customers[0], paid=700))  # a second purchase in the same burst
    for event in bought:
        await bus.publish(event)
    # The same event again under a new message id, as after an ack lost: applied once.
    await bus.publish_raw(bought[1].subject(), bought[1].encode(), str(uuid.uuid4()))

    settings = orchestrator.settings
    stop = asyncio.Event()
    async with open_resources(settings) as resources:
        sub = next(s for s in subscriptions(resources, settings) if s.event is PurchaseConfirmed)
        task = asyncio.create_task(consume(resources.bus, sub, stop))
        try:
            await wait_for(lambda: handled(sessions, bought), "every purchase handled", 90)
        finally:
            stop.set()
            await task

    for customer in customers:
        done = await wait_for(lambda c=customer: exited(orchestrator.api, "cart", c), "an exit", 60)  # type: ignore[misc]
        assert done["exit_reason"] == "purchase"
    assert await purchase_counts(sessions, customers) == {
        customers[0]: 2,
        **{customer: 1 for customer in customers[1:]},
    }
    converted = select(func.count()).where(Conversion.chain_id == "cart")
    assert await scalar(sessions, converted) == len(customers)
    first = select(Conversion.revenue).join(Enrollment, Enrollment.id == Conversion.enrollment_id)
    assert await scalar(sessions, first.where(Enrollment.customer_id == customers[0])) == 5000
    ids = [str(event.id) for event in bought]
    stamps = select(func.count(func.distinct(processed_events.c.processed_at))).where(
        processed_events.c.event_id.in_(ids)
    )
    # The first purchase wakes the idle consumer; the rest were pending: one batch.
    assert await scalar(sessions, stamps) < len(bought)
