"""Clients a process holds for its lifetime, opened in the lifespan and closed on exit."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta

from nats.aio.client import Client as NATS
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client as TemporalClient

from kit.bus import EventBus, connect_nats
from kit.db import SessionFactory, create_engine, session_factory
from kit.redis import connect_redis
from kit.settings import ServiceSettings
from kit.temporal import connect_temporal
from kit.tracing import instrument_engine

log = logging.getLogger(__name__)
Check = Callable[[], Awaitable[None]]


@dataclass
class Resources:
    settings: ServiceSettings
    engine: AsyncEngine
    sessions: SessionFactory
    nats: NATS
    bus: EventBus
    redis: Redis
    _temporal: TemporalClient | None = None
    _temporal_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def temporal(self) -> TemporalClient:
        """Connected on first use, so a service starts even while Temporal is still booting."""
        async with self._temporal_lock:
            if self._temporal is None:
                self._temporal = await connect_temporal(
                    self.settings.temporal_address, self.settings.temporal_namespace
                )
            return self._temporal

    def readiness_checks(self) -> dict[str, Check]:
        return {
            "database": self._check_database,
            "nats": self._check_nats,
            "redis": self._check_redis,
            "temporal": self._check_temporal,
        }

    async def _check_database(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def _check_nats(self) -> None:
        await self.nats.flush(timeout=1)

    async def _check_redis(self) -> None:
        await self.redis.ping()

    async def _check_temporal(self) -> None:
        client = await self.temporal()
        await client.service_client.check_health(timeout=timedelta(seconds=1))


@asynccontextmanager
async def open_resources(
    settings: ServiceSettings, *, planned_once: bool = False
) -> AsyncIterator[Resources]:
    """The service's connections; ``planned_once``: its statements are planned once per
    database connection (kit.db.create_engine)."""
    async with AsyncExitStack() as stack:
        engine = create_engine(settings.database_url, planned_once=planned_once)
        instrument_engine(engine)
        stack.push_async_callback(engine.dispose)
        nc = await connect_nats(settings.nats_url, settings.service_name)
        stack.push_async_callback(_drain, nc)
        redis = connect_redis(settings.redis_url)
        stack.push_async_callback(redis.aclose)
        bus = EventBus(nc, settings.event_namespace)
        await bus.ensure_streams()
        yield Resources(settings, engine, session_factory(engine), nc, bus, redis)


async def _drain(nc: NATS) -> None:
    with suppress(Exception):
        await nc.drain()
