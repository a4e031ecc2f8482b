"""A Temporal schedule per published scheduled chain; each run starts the launcher.

The schedule follows the chain's lifecycle: paused with it, resumed with it, deleted when the
chain is archived.
"""

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from orchestrator.definitions.model import ChainDefinition, ScheduleTrigger
from orchestrator.schedules.calendar import cron_of
from orchestrator.schedules.messages import LaunchInput


def schedule_id(chain_id: str) -> str:
    return f"chain-schedule/{chain_id}"


def _schedule(
    chain: ChainDefinition, trigger: ScheduleTrigger, task_queue: str, paused: bool
) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            "ChainLauncherWorkflow",
            LaunchInput(chain_id=chain.id),
            id=f"chain-launch/{chain.id}",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(cron_expressions=[cron_of(trigger)]),
        state=ScheduleState(paused=paused, note="chain paused" if paused else None),
    )


async def ensure_schedule(
    temporal: Client, chain: ChainDefinition, task_queue: str, paused: bool = False
) -> bool:
    """Creates or updates the chain's schedule (paused while the chain is)."""
    if not isinstance(chain.trigger, ScheduleTrigger):
        return False
    schedule = _schedule(chain, chain.trigger, task_queue, paused)
    try:
        await temporal.create_schedule(schedule_id(chain.id), schedule)
    except ScheduleAlreadyRunningError:

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await temporal.get_schedule_handle(schedule_id(chain.id)).update(replace)
    return True


async def follow_lifecycle(temporal: Client, chain_id: str, status: str) -> None:
    """Pauses, resumes or deletes the schedule of a chain now `status`; none is no error."""
    handle = temporal.get_schedule_handle(schedule_id(chain_id))
    try:
        if status == "archived":
            await handle.delete()
        elif status == "paused":
            await handle.pause(note="chain paused")
        elif status == "active":
            await handle.unpause(note="chain resumed")
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
