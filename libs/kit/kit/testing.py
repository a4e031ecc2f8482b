"""Pytest plugin: the real servers, started once per test session on free loopback ports.

Enabled with ``pytest_plugins = ["kit.testing"]``. Every test gets its own PostgreSQL database
and its own event namespace, so tests share servers without sharing state.
"""

import asyncio
import inspect
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import MetaData
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from kit.bus import EventBus, connect_nats
from kit.db import SessionFactory, create_engine, session_factory
from kit.stack import (
    ROOT,
    ProcessGroup,
    free_port,
    nats_proc,
    postgres_proc,
    redis_proc,
    temporal_proc,
)

TEST_SERVER = ROOT / "scripts" / "temporal-test-server" / "run"


@dataclass(frozen=True)
class Infra:
    """Where this session's servers listen."""

    group: ProcessGroup
    root: Path
    nats_port: int
    redis_port: int
    postgres_port: int
    temporal_port: int

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.nats_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def temporal_address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    def postgres_url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.postgres_port}/{database}"

    async def create_database(self, name: str) -> str:
        conn = await asyncpg.connect(
            host="127.0.0.1", port=self.postgres_port, user="postgres", database="postgres"
        )
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.postgres_url(name)


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    root = tmp_path_factory.mktemp("servers")
    group = ProcessGroup(root / "logs")
    ports = {name: free_port() for name in ("nats", "redis", "postgres", "temporal")}
    with ExitStack() as stack:
        # Outside pytest's private temp folder: the `postgres` user must be able to reach it.
        pg_root = Path(tempfile.mkdtemp(prefix="retention-pg-"))
        stack.callback(shutil.rmtree, pg_root, ignore_errors=True)
        stack.callback(group.stop_all)  # runs first: servers stop before their files go
        group.start_and_wait(nats_proc(ports["nats"], root / "nats"))
        group.start_and_wait(redis_proc(ports["redis"], root / "redis"))
        group.start_and_wait(postgres_proc(ports["postgres"], pg_root / "data"))
        temporal = temporal_proc(ports["temporal"], 0, root / "temporal.db", headless=True)
        group.start_and_wait(temporal, timeout=120)
        yield Infra(
            group,
            root,
            ports["nats"],
            ports["redis"],
            ports["postgres"],
            ports["temporal"],
        )


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def postgres_url(infra: Infra) -> str:
    """A fresh, empty database for this test."""
    return await infra.create_database(unique("t_"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, infra: Infra, tmp_path: Path) -> str:
    """Runs the test once on the embedded SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    return await infra.create_database(unique("t_"))


@pytest.fixture
def event_namespace() -> str:
    return unique("t")


@pytest.fixture
async def bus(infra: Infra, event_namespace: str) -> AsyncIterator[EventBus]:
    nc = await connect_nats(infra.nats_url, "tests")
    event_bus = EventBus(nc, event_namespace)
    await event_bus.ensure_streams()
    yield event_bus
    for info in await event_bus.js.streams_info():
        if info.config.name and info.config.name.startswith(event_namespace.upper()):
            await event_bus.js.delete_stream(info.config.name)
    await nc.close()


@pytest.fixture(scope="session")
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal time-skipping test server (Java), through the project's wrapper script."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(TEST_SERVER),
        test_server_startup_timeout=timedelta(minutes=3),
    )
    try:
        yield env
    finally:
        await env.shutdown()


@asynccontextmanager
async def tables_in(database_url: str, metadata: MetaData) -> AsyncIterator[SessionFactory]:
    """Sessions on ``database_url`` with ``metadata``'s tables created, for plumbing tests."""
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def app_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client for ``app`` with its lifespan running (real resources)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def wait_for(condition: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Polls ``condition`` (plain or async) until it is truthy; fails with ``what`` on timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(0.1)
