"""Pytest plugin: the real servers, started once per test session on free loopback ports.

Enabled with ``pytest_plugins = ["kit.testing"]``. Every test gets its own PostgreSQL database
and its own event namespace, so tests share servers without sharing state.
"""

import asyncio
import inspect
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import MetaData
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from kit.bus import EventBus, connect_nats
from kit.db import SessionFactory, create_engine, session_factory
from kit.migrations import upgrade_async
from kit.stack import (
    ROOT,
    Infra,
    Platform,
    running_infra,
    running_platform,
)

TEST_SERVER = ROOT / "scripts" / "temporal-test-server" / "run"


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    with running_infra(tmp_path_factory.mktemp("servers")) as servers:
        yield servers


@pytest.fixture(scope="session")
async def platform(infra: Infra) -> AsyncIterator[Platform]:
    """The whole platform, shared by the end-to-end tests of one session."""
    async with running_platform(infra) as running:
        yield running


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def postgres_url(infra: Infra) -> str:
    """A fresh, empty database for this test."""
    return await infra.create_database(unique("t_"))


async def migrated_database(infra: Infra, package: str) -> str:
    """A fresh PostgreSQL database with ``package``'s migrations applied; its URL."""
    url = await infra.create_database(unique(f"t_{package}_"))
    await upgrade_async(f"{package}:migrations", url)
    return url


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


@pytest.fixture(scope="module")
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal time-skipping test server (Java), through the project's wrapper script:
    one per test module. Its clock is global and skips only while no one holds its lock
    counter; a lock one module leaves behind (seen on a loaded machine: a chain's timer of
    three days then runs in real time, and the module's tests hang) stays in that module."""
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


# A condition met in a second on a quiet machine can take many times that on a busy two-core
# CI machine; the deadline only says when to give up, a passing wait returns at once.
WAIT_SECONDS = 90.0


async def wait_for(condition: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
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


async def copy_treated_chain(
    gateway: httpx.AsyncClient, headers: dict[str, str], template: str, chain_id: str
) -> dict[str, Any]:
    """Copies a built-in chain through the gateway with no holdout, so every customer a test
    enrolls is treated: the built-ins hold out 10 %, which would make a test that waits for a
    message fail once in ten runs. Returns the draft as saved."""
    copied = await gateway.post(
        f"/v1/chains/templates/{template}/copy", json={"id": chain_id}, headers=headers
    )
    assert copied.status_code == 201, copied.text
    draft = {**copied.json()["draft"], "holdout_share": 0.0}
    edited = await gateway.put(f"/v1/chains/{chain_id}", json=draft, headers=headers)
    assert edited.status_code == 200, edited.text
    return dict(edited.json()["draft"])
