import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from kit.db import create_engine, session_factory
from kit.migrations import upgrade_async
from kit.resources import open_resources
from kit.stack import Infra
from kit.temporal import connect_temporal
from kit.testing import app_client, unique
from kit.worker import relay_and_consumers
from orchestrator.activities import ChainActivities
from orchestrator.app import create_app
from orchestrator.campaigns.activities import CampaignActivities
from orchestrator.campaigns.workflow import CampaignWorkflow
from orchestrator.events import subscriptions
from orchestrator.models import outbox
from orchestrator.schedules.activities import LaunchActivities
from orchestrator.schedules.workflow import ChainLauncherWorkflow
from orchestrator.settings import OrchestratorSettings
from orchestrator.workflows.chain import ChainWorkflow
from tests.orchestrator.recording import Services, segment_pages


@dataclass
class Orchestrator:
    api: httpx.AsyncClient
    settings: OrchestratorSettings
    temporal: Client
    services: Services


def settings_for(infra: Infra, database_url: str, namespace: str) -> OrchestratorSettings:
    return OrchestratorSettings(
        database_url=database_url,
        nats_url=infra.nats_url,
        redis_url=infra.redis_url,
        temporal_address=infra.temporal_address,
        event_namespace=namespace,
        task_queue=unique("orchestrator-"),
    )


@pytest.fixture
async def orchestrator(
    infra: Infra, postgres_url: str, event_namespace: str
) -> AsyncIterator[Orchestrator]:
    """The API in process on PostgreSQL and the dev server, with a chain worker whose
    notifier/loyalty/segments activities record (those services run in tests/e2e) and whose
    enrollment bookkeeping is the real one."""
    settings = settings_for(infra, postgres_url, event_namespace)
    await upgrade_async("orchestrator:migrations", postgres_url)
    engine = create_engine(postgres_url)
    temporal = await connect_temporal(infra.temporal_address)
    services = Services()
    nowhere = httpx.AsyncClient(base_url="http://127.0.0.1:9")
    real = ChainActivities(nowhere, nowhere, nowhere, session_factory(engine))
    campaigns = CampaignActivities(services, nowhere, session_factory(engine), concurrency=10)
    launches = LaunchActivities(
        session_factory(engine), services.customer_profile, settings.task_queue, True
    )
    worker = Worker(
        temporal,
        task_queue=settings.task_queue,
        workflows=[ChainWorkflow, CampaignWorkflow, ChainLauncherWorkflow],
        activities=[
            *services.activities()[:-1],
            real.record_exit,
            segment_pages,
            campaigns.campaign_batch,
            campaigns.campaign_finished,
            launches.launch_batch,
        ],
    )
    async with worker, app_client(create_app(settings)) as api:
        yield Orchestrator(api, settings, temporal, services)
    await nowhere.aclose()
    await engine.dispose()


@pytest.fixture
async def consumers(orchestrator: Orchestrator) -> AsyncIterator[None]:
    """The orchestrator's real NATS consumers and outbox relay, beside the API."""
    settings = orchestrator.settings
    stop = asyncio.Event()
    async with open_resources(settings) as resources:
        loops = relay_and_consumers(outbox.table, lambda r: subscriptions(r, settings))
        tasks = [asyncio.create_task(c) for c in await loops(resources, stop)]
        yield
        stop.set()
        await asyncio.gather(*tasks)
