"""The activity behind the daily recompute, and the schedule that starts it."""

from temporalio import activity
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from kit.clock import utcnow
from kit.db import SessionFactory, unit_of_work
from segments.recompute import SegmentConfig, recompute_all
from segments.settings import SegmentsSettings
from segments.workflows import RECOMPUTE_ACTIVITY, DailyRecompute


class RecomputeActivities:
    def __init__(self, sessions: SessionFactory, config: SegmentConfig) -> None:
        self.sessions = sessions
        self.config = config

    @activity.defn(name=RECOMPUTE_ACTIVITY)
    async def recompute_all_segments(self) -> dict[str, int]:
        async with unit_of_work(self.sessions) as session:
            counts = await recompute_all(session, self.config, utcnow())
        return {"entered": counts.entered, "exited": counts.exited}


def daily_schedule(settings: SegmentsSettings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            DailyRecompute.run,
            id=f"{settings.schedule_id}-run",
            task_queue=settings.recompute_task_queue,
        ),
        spec=ScheduleSpec(cron_expressions=[settings.recompute_cron]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_schedule(client: Client, settings: SegmentsSettings) -> None:
    """Creates the schedule, or brings an existing one in line with the settings."""
    schedule = daily_schedule(settings)
    try:
        await client.create_schedule(settings.schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        handle = client.get_schedule_handle(settings.schedule_id)

        def replace(_current: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await handle.update(replace)
