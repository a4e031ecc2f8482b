"""The orchestrator's background process: the chain Temporal worker, trigger consumers, relay."""

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from kit.db import SessionFactory
from kit.http import internal_client
from kit.resources import Resources
from kit.worker import Loops, main, relay_and_consumers
from orchestrator.activities import ChainActivities
from orchestrator.campaigns.activities import CampaignActivities
from orchestrator.campaigns.workflow import CampaignWorkflow
from orchestrator.events import subscriptions
from orchestrator.models import outbox
from orchestrator.schedules.activities import LaunchActivities
from orchestrator.schedules.workflow import ChainLauncherWorkflow
from orchestrator.settings import OrchestratorSettings
from orchestrator.workflows.chain import ChainWorkflow


@asynccontextmanager
async def chain_worker(
    temporal: Client, sessions: SessionFactory, settings: OrchestratorSettings
) -> AsyncIterator[Worker]:
    """The Temporal worker for chains and campaigns, with its HTTP clients; used by tests too."""
    async with AsyncExitStack() as stack:
        notifier = await stack.enter_async_context(internal_client(settings.notifier_url, 10))
        loyalty = await stack.enter_async_context(internal_client(settings.loyalty_url, 10))
        segments = await stack.enter_async_context(internal_client(settings.segments_url, 10))
        chains = ChainActivities(notifier, loyalty, segments, sessions)
        campaigns = CampaignActivities(chains, segments, sessions, settings.campaign_concurrency)
        launches = LaunchActivities(sessions, chains.customer_profile, settings)
        worker = Worker(
            temporal,
            task_queue=settings.task_queue,
            workflows=[ChainWorkflow, CampaignWorkflow, ChainLauncherWorkflow],
            activities=[
                chains.send_message,
                chains.grant_bonus,
                chains.customer_profile,
                chains.customer_segments,
                chains.record_step,
                chains.record_exit,
                campaigns.campaign_page,
                campaigns.campaign_batch,
                campaigns.campaign_finished,
                launches.launch_batch,
            ],
            max_cached_workflows=settings.workflow_cache,
            graceful_shutdown_timeout=timedelta(seconds=20),
        )
        async with worker:
            yield worker


async def run_temporal_worker(
    resources: Resources, settings: OrchestratorSettings, stop: asyncio.Event
) -> None:
    async with chain_worker(await resources.temporal(), resources.sessions, settings):
        await stop.wait()


def loops_for(settings: OrchestratorSettings) -> Loops:
    relay_and_triggers = relay_and_consumers(
        outbox.table, lambda resources: subscriptions(resources, settings)
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
