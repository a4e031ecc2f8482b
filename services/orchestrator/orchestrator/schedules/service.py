"""A Temporal schedule per published scheduled chain; each run starts the launcher."""

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from orchestrator.definitions.model import ChainDefinition, ScheduleTrigger
from orchestrator.schedules.calendar import cron_of
from orchestrator.schedules.messages import LaunchInput


def schedule_id(chain_id: str) -> str:
    return f"chain-schedule/{chain_id}"


def _schedule(chain: ChainDefinition, trigger: ScheduleTrigger, task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            "ChainLauncherWorkflow",
            LaunchInput(chain_id=chain.id),
            id=f"chain-launch/{chain.id}",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(cron_expressions=[cron_of(trigger)]),
    )


async def ensure_schedule(temporal: Client, chain: ChainDefinition, task_queue: str) -> bool:
    """Creates or updates the chain's schedule; a paused or archived chain's runs do nothing."""
    if not isinstance(chain.trigger, ScheduleTrigger):
        return False
    schedule = _schedule(chain, chain.trigger, task_queue)
    try:
        await temporal.create_schedule(schedule_id(chain.id), schedule)
    except ScheduleAlreadyRunningError:

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await temporal.get_schedule_handle(schedule_id(chain.id)).update(replace)
    return True
