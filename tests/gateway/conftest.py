"""The gateway in-process on real PostgreSQL, Redis and NATS, with keys made for each test."""

import contextlib
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from gateway import keys
from gateway.admin import run
from gateway.app import create_app
from gateway.models import outbox
from gateway.settings import GatewaySettings
from kit.db import SessionFactory, create_engine, session_factory, unit_of_work
from kit.migrations import upgrade_async
from kit.stack import Infra
from kit.testing import app_client, unique

CUSTOMER = "c0a8012e-7d4b-4a43-9f65-2f0f3c9b6b11"


def bearer(key: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **headers}


@dataclass
class Gateway:
    """One in-process gateway and the database its keys live in."""

    settings: GatewaySettings
    sessions: SessionFactory
    client: httpx.AsyncClient

    async def key(self, *scopes: keys.Scope, **binding: str) -> str:
        async with unit_of_work(self.sessions) as session:
            issued = await keys.create_key(session, "test", list(scopes), **binding)
        return issued.key

    async def outbox_rows(self) -> int:
        async with unit_of_work(self.sessions) as session:
            return int(
                (await session.execute(select(func.count()).select_from(outbox.table))).scalar_one()
            )


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


async def admin(settings: GatewaySettings, *args: str) -> Done:
    """The admin command in this process (a subprocess costs seconds on a busy machine)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = await run(list(args), settings)
    return Done(code, out.getvalue(), err.getvalue())


def settings_for(infra: Infra, database_url: str, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        **infra.servers,
        "event_namespace": unique("t"),
        **overrides,
    }
    return GatewaySettings(**values)


@contextlib.asynccontextmanager
async def running_gateway(
    infra: Infra, database_url: str, sessions: SessionFactory, **overrides: Any
) -> AsyncIterator[Gateway]:
    """An in-process gateway with these settings, keys in ``database_url``."""
    settings = settings_for(infra, database_url, **overrides)
    async with app_client(create_app(settings)) as client:
        yield Gateway(settings, sessions, client)


@pytest.fixture
async def gateway_db(postgres_url: str) -> str:
    await upgrade_async("gateway:migrations", postgres_url)
    return postgres_url


@pytest.fixture
async def gateway_sessions(gateway_db: str) -> AsyncIterator[SessionFactory]:
    engine = create_engine(gateway_db)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def gateway(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory
) -> AsyncIterator[Gateway]:
    settings = settings_for(infra, gateway_db)
    async with app_client(create_app(settings)) as client:
        yield Gateway(settings, gateway_sessions, client)
