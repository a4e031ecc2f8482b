"""A chain whose goal was met before its trigger was handled never starts: each event type has
its own consumer, so a purchase often overtakes the registration or the cart update before it.
Both orders, through the real consumers and real workflows on PostgreSQL."""

import asyncio
import random
from collections.abc import Sequence
from contextlib import suppress
from functools import partial

import pytest
from sqlalchemy import func, select, update
from temporalio.client import WorkflowExecutionStatus

from kit.bus import CONSUMER_EVENTS, EventBus
from kit.contracts.gateway import CartUpdated, CartUpdatedPayload
from kit.contracts.loyalty import MemberRegistered, MemberRegisteredPayload
from kit.db import SessionFactory, unit_of_work
from kit.events import Event
from kit.testing import wait_for
from orchestrator.enrollments import runtime_from
from orchestrator.models import Enrollment, processed_events
from orchestrator.triggers import start_chains
from orchestrator.workflows import chain_workflow_id
from tests.orchestrator.conftest import Orchestrator
from tests.orchestrator.test_enrollments import chain_body, exited, publish_chain, purchase

pytestmark = pytest.mark.usefixtures("consumers", "templates")


@pytest.fixture
async def templates(orchestrator: Orchestrator) -> None:
    await orchestrator.notifier.install("cart_reminder", "welcome")


def registration(customer_id: str) -> MemberRegistered:
    payload = MemberRegisteredPayload(email="order@example.com", time_zone="Europe/Berlin")
    return MemberRegistered(customer_id=customer_id, payload=payload)


def cart_updated(customer_id: str) -> CartUpdated:
    cart = CartUpdatedPayload(cart_id="c", items=[], total=100)
    return CartUpdated(customer_id=customer_id, payload=cart)


async def cart_chain_and_customer(orchestrator: Orchestrator) -> str:
    await publish_chain(orchestrator.api, chain_body("cart", {"reentry": "after_exit"}))
    return await orchestrator.notifier.customer()


async def handled(sessions: SessionFactory, events: Sequence[Event]) -> bool:
    ids = [str(e.id) for e in events]
    query = select(func.count()).where(processed_events.c.event_id.in_(ids))
    async with sessions() as session:
        return (await session.scalar(query)) == len(ids)


async def running(sessions: SessionFactory, chain_id: str, customers: Sequence[str]) -> int:
    query = select(func.count()).where(
        Enrollment.chain_id == chain_id,
        Enrollment.customer_id.in_(customers),
        Enrollment.status == "active",
    )
    async with sessions() as session:
        return int(await session.scalar(query) or 0)


async def deliver_in_turn(bus: EventBus, sessions: SessionFactory, *events: Event) -> None:
    """Publishes each event only once the previous one has been handled."""
    for event in events:
        await bus.publish(event)
        await wait_for(partial(handled, sessions, [event]), f"{event.type} to be handled")


async def test_a_purchase_handled_before_the_registration_starts_no_welcome(
    orchestrator: Orchestrator, bus: EventBus, sessions: SessionFactory
) -> None:
    customer = await orchestrator.notifier.customer()
    registered = registration(customer)  # registered first, at the till
    bought = purchase(customer)
    await deliver_in_turn(bus, sessions, bought, registered)
    assert await orchestrator.notifier.sent(customer) == []
    answer = await orchestrator.api.get(f"/chains/welcome/enrollments/{customer}")
    assert answer.status_code == 404


async def test_a_cart_update_handled_after_the_purchase_starts_no_abandoned_cart(
    orchestrator: Orchestrator, bus: EventBus, sessions: SessionFactory
) -> None:
    customer = await cart_chain_and_customer(orchestrator)
    updated = cart_updated(customer)  # the cart was updated first, then the purchase emptied it
    await deliver_in_turn(bus, sessions, purchase(customer), updated)
    assert await running(sessions, "cart", [customer]) == 0
    assert await orchestrator.notifier.sent(customer) == []

    # A cart filled after the purchase is a new abandonment: that one starts the chain.
    await deliver_in_turn(bus, sessions, cart_updated(customer))
    assert await running(sessions, "cart", [customer]) == 1


async def test_a_cart_update_handled_before_the_purchase_ends_with_purchase(
    orchestrator: Orchestrator, bus: EventBus, sessions: SessionFactory
) -> None:
    customer = await cart_chain_and_customer(orchestrator)
    await deliver_in_turn(bus, sessions, cart_updated(customer))
    await deliver_in_turn(bus, sessions, purchase(customer))
    done = await wait_for(lambda: exited(orchestrator.api, "cart", customer), "the exit")
    assert done["exit_reason"] == "purchase"


async def test_no_welcome_runs_on_for_a_buyer_whatever_order_the_consumers_race_in(
    orchestrator: Orchestrator, bus: EventBus, sessions: SessionFactory
) -> None:
    """Both events published at once: the two consumers handle them concurrently."""
    customers = [await orchestrator.notifier.customer() for _ in range(16)]
    events: list[Event] = []
    for customer in customers:
        pair: list[Event] = [registration(customer), purchase(customer)]
        random.shuffle(pair)
        events += pair
    await asyncio.gather(*(bus.publish(e) for e in events))
    await wait_for(lambda: handled(sessions, events), "every event to be handled", 90)

    async def settled() -> bool:
        return await running(sessions, "welcome", customers) == 0

    await wait_for(settled, "no welcome left running for a customer who bought", 60)


def retries() -> float:
    """Events the consumers of this process put back for a retry (a dependency not ready)."""
    return sum(
        sample.value
        for metric in CONSUMER_EVENTS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total") and sample.labels.get("outcome") == "retried"
    )


async def test_a_cart_update_handled_while_the_last_run_closes_starts_a_run_of_its_own(
    orchestrator: Orchestrator, bus: EventBus, sessions: SessionFactory
) -> None:
    """A run records its exit a moment before it closes. A cart update handled in that moment
    must wait for the close: a signal-with-start would reach the closing run and start none,
    leaving an enrollment that runs nowhere and that no purchase can end."""
    customer = await cart_chain_and_customer(orchestrator)
    await deliver_in_turn(bus, sessions, cart_updated(customer))
    closing = orchestrator.temporal.get_workflow_handle(chain_workflow_id("cart", customer))
    async with unit_of_work(sessions) as session:  # its exit recorded, its close to come
        await session.execute(
            update(Enrollment)
            .where(Enrollment.customer_id == customer)
            .values(status="exited", exit_reason="purchase")
        )
    before, refilled = retries(), cart_updated(customer)
    await bus.publish(refilled)

    async def met_the_closing_run() -> bool:
        return retries() > before or await handled(sessions, [refilled])

    await wait_for(met_the_closing_run, "the new cart to meet the closing run", 60)
    await closing.terminate("closed")

    async def runs() -> bool:
        described = await closing.describe()
        return described.status == WorkflowExecutionStatus.RUNNING

    await wait_for(runs, "a run of the new enrollment", 60)
    await wait_for(partial(handled, sessions, [refilled]), "the new cart to be handled")
    assert await running(sessions, "cart", [customer]) == 1


class CommitFailed(Exception):
    """The database went away as a handler committed."""


async def test_a_trigger_retried_after_its_commit_failed_leaves_no_enrollment_running(
    orchestrator: Orchestrator, bus: EventBus, sessions: SessionFactory
) -> None:
    """The first cart update started its run, but its enrollment was never recorded (the
    commit failed; the event is retried). A second cart update handled meanwhile reaches that
    run as a signal: an enrollment recorded for it would be one no run ever closes, left
    running after the purchase (found by `make chaos` in a PostgreSQL outage)."""
    customer = await cart_chain_and_customer(orchestrator)
    first, second = cart_updated(customer), cart_updated(customer)
    runtime = runtime_from(orchestrator.settings, orchestrator.temporal)
    with suppress(CommitFailed):
        async with unit_of_work(sessions) as session:
            await start_chains(session, runtime, first)
            raise CommitFailed
    await deliver_in_turn(bus, sessions, second, first)  # the first one's retry comes last
    assert await running(sessions, "cart", [customer]) == 1

    await deliver_in_turn(bus, sessions, purchase(customer))

    async def none_running() -> bool:
        return await running(sessions, "cart", [customer]) == 0

    await wait_for(none_running, "the purchase to end the one enrollment", 60)
    done = await wait_for(lambda: exited(orchestrator.api, "cart", customer), "the exit")
    assert done["exit_reason"] == "purchase"
