"""The daily full recompute as a Temporal workflow, started by a Temporal schedule."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

RECOMPUTE_ACTIVITY = "recompute_all_segments"


@workflow.defn(name="SegmentsDailyRecompute")
class DailyRecompute:
    @workflow.run
    async def run(self) -> dict[str, int]:
        result: dict[str, int] = await workflow.execute_activity(
            RECOMPUTE_ACTIVITY,
            start_to_close_timeout=timedelta(minutes=30),
            retry_policy=RetryPolicy(maximum_attempts=5, initial_interval=timedelta(seconds=10)),
            result_type=dict[str, int],
        )
        return result
