"""The notifier's background process: the delivery workflow worker, consumers, outbox relay."""

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from kit.resources import Resources
from kit.worker import Loops, main, relay_and_consumers
from notifier.activities import DeliveryActivities
from notifier.events import subscriptions
from notifier.models import outbox
from notifier.policy_store import PolicyStore
from notifier.providers import open_providers, provider_client
from notifier.settings import NotifierSettings
from notifier.workflows.delivery import DeliveryWorkflow


def delivery_worker(
    temporal: Client, settings: NotifierSettings, activities: DeliveryActivities, **options: Any
) -> Worker:
    """The delivery workflow and its activities on the notifier's task queue."""
    return Worker(
        temporal,
        task_queue=settings.task_queue,
        workflows=[DeliveryWorkflow],
        activities=activities.all(),
        max_cached_workflows=settings.workflow_cache,
        **options,
    )


async def run_delivery_worker(
    resources: Resources, settings: NotifierSettings, stop: asyncio.Event
) -> None:
    async with provider_client(settings) as client:
        activities = DeliveryActivities(
            resources.sessions,
            PolicyStore(resources.redis),
            open_providers(settings, client),
            settings,
        )
        worker = delivery_worker(
            await resources.temporal(),
            settings,
            activities,
            graceful_shutdown_timeout=timedelta(seconds=20),
        )
        async with worker:
            await stop.wait()


def loops_for(settings: NotifierSettings) -> Loops:
    relay_and_contacts = relay_and_consumers(outbox.table, lambda r: subscriptions(r.sessions))

    async def loops(resources: Resources, stop: asyncio.Event) -> list[Coroutine[Any, Any, None]]:
        return [
            run_delivery_worker(resources, settings, stop),
            *await relay_and_contacts(resources, stop),
        ]

    return loops


if __name__ == "__main__":
    settings = NotifierSettings()
    main(settings, loops_for(settings))
