"""A running enrollment is signalled only with the customer events its chain can act on: every
other signal would cost its workflow a task (a first purchase's segment entry, for one) and
change nothing. Through the real consumers and a real workflow on PostgreSQL."""

import json

import pytest

from kit.bus import EventBus
from kit.contracts.gateway import CartCleared, CartClearedPayload
from kit.contracts.segments import SegmentEntered, SegmentMembershipPayload
from kit.db import SessionFactory
from kit.testing import wait_for
from orchestrator.workflows import chain_workflow_id
from tests.orchestrator.conftest import Orchestrator
from tests.orchestrator.test_enrollments import exited
from tests.orchestrator.test_event_order import (
    cart_chain_and_customer,
    cart_updated,
    deliver_in_turn,
    running,
    sessions,
    templates,
)

pytestmark = pytest.mark.usefixtures("consumers", "templates")
__all__ = ["sessions", "templates"]  # the fixtures this module uses


async def heard(orchestrator: Orchestrator, chain_id: str, customer: str) -> list[str]:
    """The customer events the enrollment's workflow was signalled with, in order."""
    handle = orchestrator.temporal.get_workflow_handle(chain_workflow_id(chain_id, customer))
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
