"""A running enrollment is signalled only with the customer events its chain can act on: every
other signal would cost its workflow a task (a first purchase's segment entry, for one) and
change nothing. A fetch of customer events is handled in one transaction, each event heard as
it would be alone. Through the real consumers and real workflows on PostgreSQL."""

import json

import pytest

from kit.bus import EventBus
from kit.contracts.gateway import CartCleared, CartClearedPayload
from kit.contracts.segments import SegmentEntered, SegmentMembershipPayload
from kit.db import SessionFactory, unit_of_work
from kit.testing import wait_for
from orchestrator.enrollments import runtime_from
from orchestrator.triggers import on_customer_event, on_customer_events
from orchestrator.workflows import chain_workflow_id
from tests.orchestrator.conftest import Orchestrator
from tests.orchestrator.test_enrollments import exited
from tests.orchestrator.test_event_order import (
    cart_chain_and_customer,
    cart_updated,
    deliver_in_turn,
    running,
)

pytestmark = pytest.mark.usefixtures("consumers", "templates")


@pytest.fixture
async def templates(orchestrator: Orchestrator) -> None:
    await orchestrator.notifier.install("cart_reminder")


async def heard(orchestrator: Orchestrator, chain_id: str, customer: str) -> list[str]:
    """The customer events the enrollment's workflow was signalled with, in order. A signal
    that comes while a workflow task runs enters the history only once that task is done, so
    this waits until the workflow has no task pending."""
    handle = orchestrator.temporal.get_workflow_handle(chain_workflow_id(chain_id, customer))

    async def idle() -> bool:
        described = await handle.describe()
        return not described.raw_description.HasField("pending_workflow_task")

    await wait_for(idle, f"{chain_id} of {customer} to finish its workflow tasks")
    types = []
    async for event in handle.fetch_history_events():
        signalled = event.workflow_execution_signaled_event_attributes
        if signalled.signal_name == "customer_event":
            types += [json.loads(p.data)["event_type"] for p in signalled.input.payloads]
    return types


async def test_a_running_enrollment_hears_its_exit_but_not_a_segment_entry(
    orchestrator: Orchestrator, bus: EventBus, sessions: SessionFactory
) -> None:
    customer = await cart_chain_and_customer(orchestrator)  # exits on cart.cleared
    await deliver_in_turn(bus, sessions, cart_updated(customer))
    assert await running(sessions, "cart", [customer]) == 1

    membership = SegmentMembershipPayload(
        segment_id="recency.active", segment_version=1, segment_name="Active"
    )
    entered = SegmentEntered(customer_id=customer, payload=membership)
    cleared = CartCleared(customer_id=customer, payload=CartClearedPayload(cart_id="c"))
    await deliver_in_turn(bus, sessions, entered, cleared)

    done = await wait_for(lambda: exited(orchestrator.api, "cart", customer), "the exit")
    assert done["exit_reason"] == "cart_cleared"
    assert await heard(orchestrator, "cart", customer) == ["cart.updated", "cart.cleared"]


async def test_a_fetch_of_customer_events_is_heard_as_its_events_one_by_one(
    orchestrator: Orchestrator, sessions: SessionFactory
) -> None:
    """The batch form reads the customers' running enrollments once: a customer's second event
    of the fetch must still reach the enrollment that the first one started."""
    batched = await cart_chain_and_customer(orchestrator)
    alone, other = await orchestrator.notifier.customer(), await orchestrator.notifier.customer()
    runtime = runtime_from(orchestrator.settings, orchestrator.temporal)
    async with unit_of_work(sessions) as session:
        fetch = [cart_updated(batched), cart_updated(other), cart_updated(batched)]
        await on_customer_events(session, runtime, fetch)
    for event in (cart_updated(alone), cart_updated(alone)):
        async with unit_of_work(sessions) as session:
            await on_customer_event(session, runtime, event)

    assert await running(sessions, "cart", [batched, alone, other]) == 3
    one_by_one = await heard(orchestrator, "cart", alone)
    assert one_by_one[:2] == ["cart.updated", "cart.updated"]  # started, then refreshed
    assert await heard(orchestrator, "cart", batched) == one_by_one
    assert await heard(orchestrator, "cart", other) == ["cart.updated"]
