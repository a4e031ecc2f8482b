"""A real notifier beside the chain worker on the time-skipping server.

Chains send through the notifier's own `DeliveryWorkflow` (child workflows on the notifier's
task queue) with its real activities: its PostgreSQL database, Redis policy store, the SMTP
sink and the HTTP provider sink. Tests read what left from the notifier's deliveries.
"""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from redis.asyncio import Redis
from sqlalchemy import select
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from kit.db import SessionFactory, create_engine, session_factory, unit_of_work
from kit.stack import Infra, ProcessGroup, free_port, provider_sink_proc, smtp_sink_proc
from kit.testing import app_client, migrated_database, unique
from notifier.activities import DeliveryActivities
from notifier.app import create_app
from notifier.models import Attempt, Delivery
from notifier.policy_store import PolicyStore
from notifier.providers import open_providers, provider_client
from notifier.settings import NotifierSettings
from notifier.workflows.delivery import DeliveryWorkflow
from orchestrator.activities import ChainActivities
from orchestrator.definitions.model import ChainDefinition, SendStep
from orchestrator.workflows.chain import ChainWorkflow
from tests.orchestrator.recording import Services, start_chain

CHANNELS = ("email", "sms", "push")


@dataclass(frozen=True)
class Sinks:
    smtp_port: int
    provider_url: str


@asynccontextmanager
async def running_sinks(infra: Infra) -> AsyncIterator[Sinks]:
    group = ProcessGroup(infra.root / unique("orchestrator-sinks-"))
    smtp, smtp_http, provider = free_port(), free_port(), free_port()
    try:
        group.start_all_and_wait(
            [smtp_sink_proc(smtp, smtp_http, group.log_dir / "mail"), provider_sink_proc(provider)]
        )
        yield Sinks(smtp, f"http://127.0.0.1:{provider}")
    finally:
        group.stop_all()


@dataclass(frozen=True)
class Sent:
    """One delivery as the notifier recorded it."""

    id: str
    key: str
    template: str
    channel: str
    status: str
    variables: dict[str, Any]
    channels: list[str] | None
    sms_only_if_no_other_channel: bool
    created_at: datetime


@dataclass
class Notifier:
    api: httpx.AsyncClient
    settings: NotifierSettings
    sessions: SessionFactory
    temporal: Client

    @property
    def task_queue(self) -> str:
        return self.settings.task_queue

    async def customer(
        self,
        channels: tuple[str, ...] = CHANNELS,
        time_zone: str = "UTC",
        customer_id: str | None = None,
        **modes: str,
    ) -> str:
        """A reachable customer; `modes` tells the provider sink how to answer a channel
        (`push="invalid"`: the push bounces)."""
        customer_id = customer_id or str(uuid.uuid4())
        email, phone, token = f"{unique('c')}@example.com", _phone(), unique("token-")
        body = {
            "name": "Anna",
            "email": email,
            "phone": phone,
            "time_zone": time_zone,
            "consents": {channel: True for channel in channels},
        }
        assert (await self.api.put(f"/contacts/{customer_id}", json=body)).status_code == 200
        device = {"device_id": "phone", "token": token}
        added = await self.api.post(f"/contacts/{customer_id}/push-tokens", json=device)
        assert added.status_code == 200, added.text
        recipients = {"push": token, "sms": phone}
        async with httpx.AsyncClient(base_url=self.settings.provider_url) as sink:
            for channel, mode in modes.items():
                rule = {"to": recipients[channel], "mode": mode}
                assert (await sink.post("/control", json=rule)).status_code == 200
        return customer_id

    async def templates_for(self, chain: ChainDefinition) -> None:
        """Every template the chain's send steps name, on every channel, unless the notifier
        has it already: built-in chains run on the notifier's own default templates."""
        names = {s.template for s in chain.steps if isinstance(s, SendStep)}
        for name in sorted(names):
            if (await self.api.get(f"/templates/{name}/email")).status_code == 404:
                await self.install(name)

    async def install(self, *names: str) -> None:
        for name in names:
            for channel in CHANNELS:
                body = {"subject": name, "body": f"{name} {{{{ name }}}}"}
                answer = await self.api.put(f"/templates/{name}/{channel}", json=body)
                assert answer.status_code == 200, answer.text

    async def deliveries(self, customer_id: str) -> list[Sent]:
        async with unit_of_work(self.sessions) as session:
            rows = await session.scalars(
                select(Delivery)
                .where(Delivery.customer_id == customer_id)
                .order_by(Delivery.created_at)
            )
            return [_sent(row) for row in rows]

    async def sent(self, customer_id: str) -> list[Sent]:
        return [d for d in await self.deliveries(customer_id) if d.status != "failed"]

    async def templates(self, customer_id: str) -> list[str]:
        return [d.template for d in await self.sent(customer_id)]

    async def attempts(self, key: str) -> list[tuple[str, str]]:
        """The channels a delivery's cascade tried, with each one's status."""
        async with unit_of_work(self.sessions) as session:
            rows = await session.execute(
                select(Attempt.channel, Attempt.status)
                .join(Delivery, Delivery.id == Attempt.delivery_id)
                .where(Delivery.idempotency_key == key)
                .order_by(Attempt.position)
            )
            return [(channel, status) for channel, status in rows]

    async def child_started_at(self, key: str) -> datetime:
        """When the chain started the delivery, on the server's (skipped) clock."""
        described = await self.temporal.get_workflow_handle(f"delivery/{key}").describe()
        return described.start_time


def customer_of(handle: WorkflowHandle[Any, Any]) -> str:
    """`chain/{chain}/{customer}`: the enrollment's customer."""
    return handle.id.rsplit("/", 1)[1]


def _sent(row: Delivery) -> Sent:
    return Sent(
        id=row.id,
        key=row.idempotency_key,
        template=row.template,
        channel=row.channel,
        status=row.status,
        variables=dict(row.variables or {}),
        channels=row.channels,
        sms_only_if_no_other_channel=row.sms_only_if_no_other_channel,
        created_at=row.created_at,
    )


def _phone() -> str:
    return f"+49151{uuid.uuid4().int % 10**8:08d}"


@asynccontextmanager
async def running_notifier(infra: Infra, sinks: Sinks, temporal: Client) -> AsyncIterator[Notifier]:
    """The notifier's API (in process) and its delivery worker on `temporal`, own database."""
    settings = NotifierSettings(
        database_url=await migrated_database(infra, "notifier"),
        nats_url=infra.nats_url,
        redis_url=infra.redis_url,
        temporal_address=temporal.service_client.config.target_host,
        event_namespace=unique("t"),
        task_queue=unique("notifier-"),
        smtp_port=sinks.smtp_port,
        provider_url=sinks.provider_url,
        provider_backoff_seconds=0.01,
    )
    engine = create_engine(settings.database_url)
    redis = Redis.from_url(settings.redis_url)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(engine.dispose)
        stack.push_async_callback(redis.aclose)
        client = await stack.enter_async_context(provider_client(settings))
        activities = DeliveryActivities(
            session_factory(engine), PolicyStore(redis), open_providers(settings, client), settings
        )
        await stack.enter_async_context(
            Worker(
                temporal,
                task_queue=settings.task_queue,
                workflows=[DeliveryWorkflow],
                activities=activities.all(),
            )
        )
        api = await stack.enter_async_context(app_client(create_app(settings)))
        # Chains here span days of skipped time at any hour: no quiet hours, a roomy cap.
        policy = {"daily_cap": 100, "quiet_start": "00:00", "quiet_end": "00:00"}
        assert (await api.put("/policies/program", json=policy)).status_code == 200
        yield Notifier(api, settings, session_factory(engine), temporal)


@dataclass
class Chains:
    """A chain worker on its own queue whose messages go to the real notifier."""

    env: WorkflowEnvironment
    queue: str
    notifier: Notifier
    started: list[WorkflowHandle[Any, Any]] = field(default_factory=list)

    async def stop_leftovers(self) -> None:
        """Terminates what a test left running (a chain, a delivery waiting out its window):
        on the shared time-skipping server a leftover would hold the clock back."""
        for handle in self.started:
            keys = [d.key for d in await self.notifier.deliveries(customer_of(handle))]
            ids = [handle.id, *(f"delivery/{key}" for key in keys)]
            for workflow_id in ids:
                running = self.env.client.get_workflow_handle(workflow_id)
                with suppress(RPCError):
                    if (await running.describe()).status == WorkflowExecutionStatus.RUNNING:
                        await running.terminate("the test is over")

    async def start(
        self,
        chain: ChainDefinition,
        customer_id: str | None = None,
        **options: Any,
    ) -> WorkflowHandle[Any, Any]:
        """Templates for the chain in the notifier, a reachable customer unless given."""
        await self.notifier.templates_for(chain)
        customer_id = customer_id or await self.notifier.customer()
        handle = await start_chain(
            self.env,
            self.queue,
            chain,
            customer_id=customer_id,
            notifier_task_queue=self.notifier.task_queue,
            **options,
        )
        self.started.append(handle)
        return handle


@asynccontextmanager
async def chain_worker(
    env: WorkflowEnvironment, services: Services, notifier: Notifier
) -> AsyncIterator[Chains]:
    """ChainWorkflow with loyalty and segments recorded (out of reach on the time-skipping
    server), its own bookkeeping recorded, and the notifier's real `POST /deliveries` for a
    delivery started before."""
    queue = unique("chains-")
    real = ChainActivities(notifier.api, notifier.api, notifier.api, notifier.sessions)
    activities: list[Callable[..., Any]] = [
        real.send_message,
        services.grant_bonus,
        services.customer_profile,
        services.customer_segments,
        services.record_step,
        services.record_exit,
    ]
    async with Worker(
        env.client, task_queue=queue, workflows=[ChainWorkflow], activities=activities
    ):
        chains = Chains(env, queue, notifier)
        try:
            yield chains
        finally:
            await chains.stop_leftovers()
