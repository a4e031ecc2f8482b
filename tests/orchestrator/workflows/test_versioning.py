"""Enrollments that started on older code replay unchanged on the current code.

The histories were recorded from ChainWorkflow before deliveries became child workflows
(sends through the `send_message` activity): a welcome enrollment mid-wait after its first
message, a reactivation with a push that bounced to SMS, and a quarterly cascade. A change
to the commands without a `workflow.patched` guard fails these replays as nondeterministic.
"""

import asyncio
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from orchestrator.workflows.chain import ChainWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_an_enrollment_from_before_the_delivery_child_replays(path: Path) -> None:
    replayer = Replayer(workflows=[ChainWorkflow], data_converter=pydantic_data_converter)
    history = WorkflowHistory.from_json(path.stem, await asyncio.to_thread(path.read_text))
    replayed = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert replayed.replay_failure is None, replayed.replay_failure


def test_the_recorded_histories_are_there() -> None:
    assert {p.stem for p in HISTORIES} == {
        "welcome_mid_wait_v1",
        "reactivation_completed_v1",
        "quarterly_completed_v1",
    }
