"""Segments' background process: event consumers, the outbox relay and the recompute worker.

The daily recompute is a Temporal schedule rather than a timer in this process: it runs once
however many workers there are, survives restarts, is visible (and can be triggered by hand)
in the Temporal UI, and a missed run is caught up within the schedule's catch-up window.
"""

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from temporalio.worker import Worker

from kit.resources import Resources
from kit.worker import Loops, main, relay_and_consumers
from segments.activities import RecomputeActivities, ensure_schedule
from segments.events import subscriptions
from segments.models import outbox
from segments.recompute import SegmentConfig
from segments.settings import SegmentsSettings
from segments.workflows import DailyRecompute


async def run_recompute_worker(
    resources: Resources, settings: SegmentsSettings, stop: asyncio.Event
) -> None:
    client = await resources.temporal()
    await ensure_schedule(client, settings)
    activities = RecomputeActivities(resources.sessions, SegmentConfig.of(settings))
    worker = Worker(
        client,
        task_queue=settings.recompute_task_queue,
        workflows=[DailyRecompute],
        activities=[activities.recompute_all_segments],
        max_cached_workflows=settings.workflow_cache,
        graceful_shutdown_timeout=timedelta(seconds=20),
    )
    async with worker:
        await stop.wait()


def loops_for(settings: SegmentsSettings) -> Loops:
    config = SegmentConfig.of(settings)
    relay_and_projection = relay_and_consumers(
        outbox.table, lambda resources: subscriptions(resources.sessions, config)
    )

    async def loops(resources: Resources, stop: asyncio.Event) -> list[Coroutine[Any, Any, None]]:
        return [
            run_recompute_worker(resources, settings, stop),
            *await relay_and_projection(resources, stop),
        ]

    return loops


if __name__ == "__main__":
    settings = SegmentsSettings()
    main(settings, loops_for(settings))
