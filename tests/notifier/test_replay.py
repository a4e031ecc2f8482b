"""Deliveries recorded by an earlier version of the workflow still replay on this one."""

from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from notifier.workflows.delivery import DeliveryWorkflow

HISTORIES = Path(__file__).parent / "histories"


async def test_a_delivery_recorded_with_regular_activities_replays() -> None:
    """Recorded before local activities: open, decide, attempt and finish as activity tasks."""
    recorded = (HISTORIES / "delivery_with_activities.json").read_text()
    history = WorkflowHistory.from_json("delivery/recorded", recorded)
    replayer = Replayer(workflows=[DeliveryWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
