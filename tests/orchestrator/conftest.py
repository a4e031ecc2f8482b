import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from kit.db import SessionFactory, create_engine, session_factory
from kit.migrations import upgrade_async
from kit.resources import open_resources
from kit.stack import Infra, free_port
from kit.temporal import connect_temporal
from kit.testing import app_client, migrated_database, unique, wait_for
from kit.worker import relay_and_consumers
from loyalty.app import create_app as loyalty_app
from loyalty.settings import LoyaltySettings
from notifier.app import create_app as notifier_app
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
from segments.app import create_app as segments_app
from segments.settings import SegmentsSettings
from tests.orchestrator.delivering import Notifier, Sinks, running_notifier, running_sinks
from tests.orchestrator.recording import Services, segment_pages


@dataclass
class Orchestrator:
    api: httpx.AsyncClient
    settings: OrchestratorSettings
    temporal: Client
    services: Services
    notifier: Notifier


def settings_for(
    infra: Infra,
    database_url: str,
    namespace: str,
    notifier_task_queue: str = "notifier",
    segments_url: str = "http://127.0.0.1:9",
    loyalty_url: str = "http://127.0.0.1:9",
) -> OrchestratorSettings:
    return OrchestratorSettings(
        **infra.servers,
        database_url=database_url,
        event_namespace=namespace,
        task_queue=unique("orchestrator-"),
        notifier_task_queue=notifier_task_queue,
        segments_url=segments_url,
        loyalty_url=loyalty_url,
    )


@pytest.fixture(scope="session")
async def sinks(infra: Infra) -> AsyncIterator[Sinks]:
    async with running_sinks(infra) as running:
        yield running


@pytest.fixture(scope="module")
async def skipping_notifier(
    infra: Infra, sinks: Sinks, time_skipping: WorkflowEnvironment
) -> AsyncIterator[Notifier]:
    """The real notifier's delivery worker on the time-skipping server."""
    async with running_notifier(infra, sinks, time_skipping.client) as running:
        yield running


@pytest.fixture(scope="session")
async def live_notifier(infra: Infra, sinks: Sinks) -> AsyncIterator[Notifier]:
    """The real notifier's delivery worker on the dev server."""
    temporal = await connect_temporal(infra.temporal_address)
    async with running_notifier(infra, sinks, temporal) as running:
        yield running


@asynccontextmanager
async def serving(app: FastAPI, what: str) -> AsyncIterator[str]:
    """A real service API listening on a loopback port."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await wait_for(lambda: server.started or task.done(), f"the {what} API to listen")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def serving_segments(infra: Infra) -> AsyncIterator[str]:
    """The real segments API on its own database."""
    settings = SegmentsSettings(
        database_url=await migrated_database(infra, "segments"),
        event_namespace=unique("t"),
        **infra.servers,
    )
    async with serving(segments_app(settings), "segments") as url:
        yield url


@pytest.fixture
async def sessions(orchestrator: Orchestrator) -> AsyncIterator[SessionFactory]:
    """The orchestrator's database, for a test to read or write it directly."""
    engine = create_engine(orchestrator.settings.database_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def segments_url() -> str:
    """Nowhere: segments answers are recorded here; a module that needs the real API
    overrides this fixture."""
    return "http://127.0.0.1:9"


@pytest.fixture(scope="session")
async def loyalty_url(infra: Infra) -> AsyncIterator[str]:
    """The real loyalty API on its own database, shared by the session: the orchestrator only
    reads its programme rules (the analytics value redeemed points with them)."""
    settings = LoyaltySettings(
        database_url=await migrated_database(infra, "loyalty"),
        event_namespace=unique("t"),
        **infra.servers,
    )
    async with serving(loyalty_app(settings), "loyalty") as url:
        yield url


@pytest.fixture
async def orchestrator(
    infra: Infra,
    postgres_url: str,
    event_namespace: str,
    live_notifier: Notifier,
    segments_url: str,
    loyalty_url: str,
) -> AsyncIterator[Orchestrator]:
    """The API in process on PostgreSQL and the dev server, with a chain worker beside the real
    notifier's delivery worker; loyalty and segments activities record (those services run in
    tests/e2e) and the enrollment bookkeeping is the real one."""
    async with serving(notifier_app(live_notifier.settings), "notifier") as notifier_url:
        settings = settings_for(
            infra,
            postgres_url,
            event_namespace,
            live_notifier.task_queue,
            segments_url,
            loyalty_url,
        ).model_copy(update={"notifier_url": notifier_url})
        async with running_orchestrator(infra, settings, live_notifier) as running:
            yield running


@asynccontextmanager
async def running_orchestrator(
    infra: Infra, settings: OrchestratorSettings, live_notifier: Notifier
) -> AsyncIterator[Orchestrator]:
    postgres_url = settings.database_url
    await upgrade_async("orchestrator:migrations", postgres_url)
    engine = create_engine(postgres_url)
    temporal = await connect_temporal(infra.temporal_address)
    services = Services()
    nowhere = httpx.AsyncClient(base_url="http://127.0.0.1:9")
    real = ChainActivities(live_notifier.api, nowhere, nowhere, session_factory(engine))
    campaigns = CampaignActivities(services, nowhere, session_factory(engine), concurrency=10)
    launches = LaunchActivities(session_factory(engine), services.customer_profile, settings)
    worker = Worker(
        temporal,
        task_queue=settings.task_queue,
        workflows=[ChainWorkflow, CampaignWorkflow, ChainLauncherWorkflow],
        activities=[
            real.send_message,
            services.grant_bonus,
            services.customer_profile,
            services.customer_segments,
            real.record_step,
            real.record_exit,
            segment_pages,
            campaigns.campaign_batch,
            campaigns.campaign_finished,
            launches.launch_batch,
        ],
    )
    async with worker, app_client(create_app(settings)) as api:
        yield Orchestrator(api, settings, temporal, services, live_notifier)
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
