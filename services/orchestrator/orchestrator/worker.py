"""The orchestrator's background process: the chain Temporal worker, trigger consumers, relay."""

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from temporalio.worker import Worker

from kit.http import internal_client
from kit.resources import Resources
from kit.worker import Loops, main, relay_and_consumers
from orchestrator.activities import ChainActivities
from orchestrator.events import subscriptions
from orchestrator.models import outbox
from orchestrator.settings import OrchestratorSettings
from orchestrator.workflows.welcome import WelcomeChain


async def run_temporal_worker(
    resources: Resources, settings: OrchestratorSettings, stop: asyncio.Event
) -> None:
    async with internal_client(settings.notifier_url, timeout_seconds=10) as notifier:
        activities = ChainActivities(notifier)
        worker = Worker(
            await resources.temporal(),
            task_queue=settings.task_queue,
            workflows=[WelcomeChain],
            activities=[activities.send_message],
            graceful_shutdown_timeout=timedelta(seconds=20),
        )
        async with worker:
            await stop.wait()


def loops_for(settings: OrchestratorSettings) -> Loops:
    relay_and_triggers = relay_and_consumers(
        outbox.table, lambda resources: subscriptions(resources, settings.task_queue)
    )

    async def loops(resources: Resources, stop: asyncio.Event) -> list[Coroutine[Any, Any, None]]:
        return [
            run_temporal_worker(resources, settings, stop),
            *await relay_and_triggers(resources, stop),
        ]

    return loops


if __name__ == "__main__":
    settings = OrchestratorSettings()
    main(settings, loops_for(settings))
