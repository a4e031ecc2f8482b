"""ChainLauncherWorkflow: one scheduled run of a chain, paging its audience in batches."""

from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from orchestrator.campaigns.messages import Page, PageRequest
    from orchestrator.schedules.messages import LaunchBatch, Launched, LaunchInput

R = TypeVar("R")
PAGE = 200
PAGES_PER_RUN = 50
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


@workflow.defn(name="ChainLauncherWorkflow")
class ChainLauncherWorkflow:
    @workflow.run
    async def run(self, launch: LaunchInput) -> int:
        day = launch.day or workflow.now().date().isoformat()
        segment = await self._audience(launch.chain_id, day)
        cursor, enrolled = launch.cursor, launch.enrolled
        for _ in range(PAGES_PER_RUN if segment else 0):
            assert segment is not None
            page = await _activity(
                "campaign_page", PageRequest(segment=segment, cursor=cursor, limit=PAGE), Page
            )
            batch = LaunchBatch(chain_id=launch.chain_id, day=day, members=page.members)
            enrolled += (await _activity("launch_batch", batch, Launched)).enrolled
            cursor = page.next_cursor
            if cursor is None:
                return enrolled
        if segment is None:
            return enrolled
        workflow.continue_as_new(
            LaunchInput(chain_id=launch.chain_id, day=day, cursor=cursor, enrolled=enrolled)
        )

    async def _audience(self, chain_id: str, day: str) -> str | None:
        empty = LaunchBatch(chain_id=chain_id, day=day, members=[])
        return (await _activity("launch_batch", empty, Launched)).segment


async def _activity(name: str, arg: object, result_type: type[R]) -> R:
    result: R = await workflow.execute_activity(
        name,
        arg,
        result_type=result_type,
        start_to_close_timeout=timedelta(minutes=5),
        retry_policy=RETRY,
    )
    return result
