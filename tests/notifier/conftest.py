"""The notifier on real servers: PostgreSQL, Redis, Temporal, the SMTP sink and the HTTP sink.

The API runs under uvicorn on a loopback port (the HTTP sink's signed callbacks reach it),
and the delivery worker runs in the test process on its own task queue, with the real
activities: nothing stands in for a server.
"""

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import select
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from kit.db import create_engine, session_factory, unit_of_work
from kit.migrations import upgrade_async
from kit.stack import Infra, ProcessGroup, free_port, provider_sink_proc, smtp_sink_proc
from kit.testing import unique, wait_for
from notifier.activities import DeliveryActivities
from notifier.app import create_app
from notifier.models import outbox
from notifier.policy_store import PolicyStore
from notifier.providers import Provider, open_providers, provider_client
from notifier.settings import NotifierSettings
from notifier.worker import delivery_worker
from notifier.workflows import delivery_workflow_id
from notifier.workflows.messages import DeliveryResult

SECRET = "test-callback-secret"


@dataclass(frozen=True)
class Sinks:
    smtp_port: int
    mail_url: str
    provider_url: str


@pytest.fixture(scope="session")
def sinks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sinks]:
    root = tmp_path_factory.mktemp("notifier-sinks")
    group = ProcessGroup(root / "logs")
    smtp, smtp_http, provider = free_port(), free_port(), free_port()
    try:
        group.start_all_and_wait(
            [smtp_sink_proc(smtp, smtp_http, root / "mail"), provider_sink_proc(provider, SECRET)]
        )
        yield Sinks(smtp, f"http://127.0.0.1:{smtp_http}", f"http://127.0.0.1:{provider}")
    finally:
        group.stop_all()


@asynccontextmanager
async def serving(app: FastAPI, port: int) -> AsyncIterator[None]:
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await wait_for(lambda: server.started or task.done(), "the notifier API to listen")
    try:
        yield
    finally:
        server.should_exit = True
        await task


@dataclass
class Notifier:
    """One notifier (API + delivery worker) with its own database and task queue."""

    settings: NotifierSettings
    api: httpx.AsyncClient
    temporal: Client
    sinks: Sinks
    started: list[str] = field(default_factory=list)

    async def contact(self, **fields: Any) -> str:
        customer_id = str(uuid.uuid4())
        body = {"name": "Anna", "time_zone": "UTC", **fields}
        response = await self.api.put(f"/contacts/{customer_id}", json=body)
        assert response.status_code == 200, response.text
        return customer_id

    async def template(self, name: str, channel: str, body: str, **extra: Any) -> None:
        response = await self.api.put(f"/templates/{name}/{channel}", json={"body": body, **extra})
        assert response.status_code == 200, response.text

    async def deliver(self, **body: Any) -> dict[str, Any]:
        body.setdefault("idempotency_key", unique("key-"))
        body.setdefault("source", "campaign:spring:1")
        response = await self.api.post("/deliveries", json=body)
        assert response.status_code == 201, response.text
        found: dict[str, Any] = response.json()
        found["idempotency_key"] = body["idempotency_key"]
        self.started.append(body["idempotency_key"])
        return found

    async def stop_workflows(self) -> None:
        """A cascade left waiting would hold the shared time-skipping clock back."""
        for key in self.started:
            with suppress(RPCError):
                await self.handle(key).terminate("the test is over")

    def handle(self, idempotency_key: str) -> WorkflowHandle[Any, DeliveryResult]:
        workflow_id = delivery_workflow_id(idempotency_key)
        return self.temporal.get_workflow_handle(workflow_id, result_type=DeliveryResult)

    async def delivery(self, delivery_id: str) -> dict[str, Any]:
        found: dict[str, Any] = (await self.api.get(f"/deliveries/{delivery_id}")).json()
        return found

    async def decisions(self, delivery_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = (
            await self.api.get(f"/deliveries/{delivery_id}/decisions")
        ).json()
        return found

    async def mail_to(self, address: str) -> list[dict[str, Any]]:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{self.sinks.mail_url}/messages", params={"to": address})
        found: list[dict[str, Any]] = response.json()
        return found

    async def provider_requests(self, to: str) -> list[dict[str, Any]]:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{self.sinks.provider_url}/requests", params={"to": to})
        found: list[dict[str, Any]] = response.json()
        return found

    async def tell_provider(self, to: str, mode: str) -> None:
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{self.sinks.provider_url}/control", json={"to": to, "mode": mode}
            )
        assert response.status_code == 200

    async def subjects_in_outbox(self) -> list[str]:
        engine = create_engine(self.settings.database_url)
        try:
            async with unit_of_work(session_factory(engine)) as session:
                rows = await session.execute(select(outbox.table.c.subject))
                return [row.subject for row in rows]
        finally:
            await engine.dispose()


def click_token(text: str) -> str:
    found = re.search(r"/v1/t/c/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)", text)
    assert found, text
    return found.group(1)


def notifier_settings(
    infra: Infra, database_url: str, sinks: Sinks, temporal_address: str, port: int, **extra: Any
) -> NotifierSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        **infra.servers,
        "temporal_address": temporal_address,
        "event_namespace": unique("t"),
        "task_queue": unique("notifier-"),
        "smtp_port": sinks.smtp_port,
        "provider_url": sinks.provider_url,
        "provider_backoff_seconds": 0.01,
        "callback_secret": SECRET,
        "callback_url": f"http://127.0.0.1:{port}/callbacks/provider",
        "public_url": "http://gateway.test",
        **extra,
    }
    return NotifierSettings(**values)


@asynccontextmanager
async def running_notifier(
    settings: NotifierSettings,
    temporal: Client,
    port: int,
    sinks: Sinks,
    providers: Callable[[dict[str, Provider]], dict[str, Provider]] = lambda real: real,
) -> AsyncIterator[Notifier]:
    engine = create_engine(settings.database_url)
    redis = Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(engine.dispose)
        stack.push_async_callback(redis.aclose)
        client = await stack.enter_async_context(provider_client(settings))
        activities = DeliveryActivities(
            session_factory(engine),
            PolicyStore(redis),
            providers(open_providers(settings, client)),
            settings,
        )
        await stack.enter_async_context(delivery_worker(temporal, settings, activities))
        await stack.enter_async_context(serving(create_app(settings), port))
        api = await stack.enter_async_context(
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30)
        )
        running = Notifier(settings, api, temporal, sinks)
        stack.push_async_callback(running.stop_workflows)
        yield running


@pytest.fixture
async def notifier_db(postgres_url: str) -> str:
    await upgrade_async("notifier:migrations", postgres_url)
    return postgres_url


@asynccontextmanager
async def skipping_notifier(
    infra: Infra,
    notifier_db: str,
    sinks: Sinks,
    time_skipping: WorkflowEnvironment,
    providers: Callable[[dict[str, Provider]], dict[str, Provider]] = lambda real: real,
    **extra: Any,
) -> AsyncIterator[Notifier]:
    """On the time-skipping server: reaction windows and quiet hours pass when told to."""
    target = time_skipping.client.service_client.config.target_host
    port = free_port()
    settings = notifier_settings(infra, notifier_db, sinks, target, port, **extra)
    async with running_notifier(settings, time_skipping.client, port, sinks, providers) as running:
        yield running


NotifierWith = Callable[..., AbstractAsyncContextManager[Notifier]]


@pytest.fixture
def notifier_with(
    infra: Infra, notifier_db: str, sinks: Sinks, time_skipping: WorkflowEnvironment
) -> NotifierWith:
    """A notifier on the time-skipping server with settings of the test's own."""
    return partial(skipping_notifier, infra, notifier_db, sinks, time_skipping)


@pytest.fixture
async def notifier(
    infra: Infra, notifier_db: str, sinks: Sinks, time_skipping: WorkflowEnvironment
) -> AsyncIterator[Notifier]:
    async with skipping_notifier(infra, notifier_db, sinks, time_skipping) as running:
        yield running


@asynccontextmanager
async def dev_server_notifier(
    infra: Infra, notifier_db: str, sinks: Sinks, runtime: Runtime | None = None, **extra: Any
) -> AsyncIterator[Notifier]:
    """On the Temporal dev server, in real time; ``runtime`` (e.g. one that keeps the SDK's
    metrics) for its client and worker."""
    temporal = await Client.connect(
        infra.temporal_address, data_converter=pydantic_data_converter, runtime=runtime
    )
    port = free_port()
    settings = notifier_settings(infra, notifier_db, sinks, infra.temporal_address, port, **extra)
    async with running_notifier(settings, temporal, port, sinks) as running:
        yield running


@pytest.fixture
async def live_notifier(infra: Infra, notifier_db: str, sinks: Sinks) -> AsyncIterator[Notifier]:
    """On the Temporal dev server, in real time: for many workflows at once."""
    async with dev_server_notifier(infra, notifier_db, sinks) as running:
        yield running
