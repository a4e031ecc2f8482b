"""Real services on loopback ports for gateway tests: uvicorn in this process's event loop."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from kit.migrations import upgrade_async
from kit.stack import Infra, free_port
from kit.testing import unique
from loyalty.app import create_app as create_loyalty
from loyalty.settings import LoyaltySettings


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """The app behind a real HTTP server; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(60):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


@asynccontextmanager
async def loyalty_and_database(infra: Infra) -> AsyncIterator[tuple[str, str]]:
    """The loyalty API on its own fresh PostgreSQL database: its base URL and the database's."""
    database = await infra.create_database(unique("loy_"))
    await upgrade_async("loyalty:migrations", database)
    settings = LoyaltySettings(database_url=database, **infra.servers, event_namespace=unique("t"))
    async with serving(create_loyalty(settings)) as url:
        yield url, database


@asynccontextmanager
async def real_loyalty(infra: Infra) -> AsyncIterator[str]:
    """The loyalty API on its own fresh PostgreSQL database."""
    async with loyalty_and_database(infra) as (url, _database):
        yield url
