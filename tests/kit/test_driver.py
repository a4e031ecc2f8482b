"""Statements on asyncpg's connection (kit.driver): bound, committed and failing as
SQLAlchemy's own would be."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import asyncpg
import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from kit.db import UtcDateTime, create_engine
from kit.driver import DriverStatement, driver_statements, listen
from kit.stack import Infra

metadata = MetaData()
notes = Table(
    "notes",
    metadata,
    Column("id", String(10), primary_key=True),
    Column("kind", String(10)),
    Column("points", BigInteger),
    Column("at", UtcDateTime()),
    Column("body", JSON),
)
ADD = DriverStatement(insert(notes).returning(notes.c.id))
# A literal value and a repeated parameter: both bound as SQLAlchemy binds them.
OF_KIND = DriverStatement(
    select(notes)
    .where(notes.c.kind == "plain", notes.c.at <= bindparam("at"), notes.c.at > bindparam("at"))
    .union_all(select(notes).where(notes.c.kind == "plain", notes.c.id == bindparam("id")))
)
PLAIN = {"kind": "plain", "points": 2**40, "body": {"lines": [1, "two"], "nested": {"a": None}}}


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgres_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _stored(engine: AsyncEngine) -> list[dict[str, object]]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(notes).order_by(notes.c.id))
        return [dict(row._mapping) for row in rows]


async def test_values_go_in_and_come_out_as_sqlalchemy_binds_and_reads_them(
    engine: AsyncEngine,
) -> None:
    at = datetime(2026, 3, 1, 12, tzinfo=timezone(timedelta(hours=3)))
    async with driver_statements(engine) as db:
        added = await db.fetchrow(ADD, {"id": "n1", "at": at, **PLAIN})
        assert added is not None and added["id"] == "n1"
        found = await db.fetch(OF_KIND, {"at": at, "id": "n1"})
    assert [dict(row) for row in found] == [{"id": "n1", "at": at, **PLAIN}]
    assert found[0]["at"].tzinfo is not None
    # What SQLAlchemy reads back is what it would have written itself.
    assert await _stored(engine) == [{"id": "n1", "at": at.astimezone(UTC), **PLAIN}]


async def test_a_naive_timestamp_is_refused_before_anything_is_sent(engine: AsyncEngine) -> None:
    with pytest.raises(ValueError, match="naive"):
        async with driver_statements(engine) as db:
            await db.fetch(ADD, {"id": "n1", "at": datetime(2026, 3, 1), **PLAIN})
    assert await _stored(engine) == []


async def test_without_a_transaction_block_each_statement_commits_by_itself(
    engine: AsyncEngine,
) -> None:
    row = {"at": datetime.now(UTC), **PLAIN}
    with pytest.raises(DBAPIError) as raised:
        async with driver_statements(engine) as db:
            await db.fetch(ADD, {"id": "n1", **row})
            await db.fetch(ADD, {"id": "n1", **row})  # the same key again
    assert isinstance(raised.value.orig, asyncpg.UniqueViolationError)
    assert [r["id"] for r in await _stored(engine)] == ["n1"]  # the first stays written
    async with driver_statements(engine) as db:
        await db.fetch(ADD, {"id": "n2", **row})
        assert not db.driver.is_in_transaction()


async def test_a_database_error_is_sqlalchemys_and_leaves_the_connection_usable(
    engine: AsyncEngine,
) -> None:
    row = {"id": "n1", "at": datetime.now(UTC), **PLAIN}
    async with driver_statements(engine) as db:
        await db.fetch(ADD, row)
    with pytest.raises(DBAPIError) as raised:
        async with driver_statements(engine) as db:
            await db.fetch(ADD, row)  # the same key again
    assert not isinstance(raised.value, OperationalError)
    assert isinstance(raised.value.orig, asyncpg.UniqueViolationError)
    assert not raised.value.connection_invalidated
    async with driver_statements(engine) as db:
        assert len(await db.fetch(OF_KIND, {"at": row["at"], "id": "n1"})) == 1


async def test_lost_connections_are_an_operational_error_then_the_pool_recovers(
    engine: AsyncEngine, infra: Infra
) -> None:
    async def backend() -> int:
        async with driver_statements(engine) as db:
            pid: int = await db.driver.fetchval("SELECT pg_backend_pid()")
            return pid

    # Several connections in the pool, then the server drops every one of them.
    async with engine.connect() as a, engine.connect() as b, engine.connect() as c:
        for connection in (a, b, c):
            await connection.get_raw_connection()
    first = await backend()
    admin = await asyncpg.connect(
        host="127.0.0.1", port=infra.postgres_port, user="postgres", database="postgres"
    )
    try:
        await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " OR datname = $1",
            engine.url.database,
        )
    finally:
        await admin.close()

    with pytest.raises(OperationalError) as raised:
        await backend()
    assert raised.value.connection_invalidated
    # Not one failure per dead connection left in the pool: the next checkout has a new one.
    assert await backend() != first


async def test_listeners_hear_each_statement_sent(engine: AsyncEngine) -> None:
    heard: list[str] = []
    stop = listen(engine, heard.append)
    async with driver_statements(engine) as db:
        await db.fetch(ADD, {"id": "n1", "at": datetime.now(UTC), **PLAIN})
    stop()
    async with driver_statements(engine) as db:
        await db.fetch(ADD, {"id": "n2", "at": datetime.now(UTC), **PLAIN})
    assert len(heard) == 1 and heard[0].startswith("INSERT INTO notes")


async def test_a_step_cancelled_mid_statement_leaves_no_broken_connection_behind(
    engine: AsyncEngine,
) -> None:
    sleep = DriverStatement(text("SELECT pg_sleep(:seconds)").bindparams(seconds=30.0))

    async def sleeping() -> None:
        async with driver_statements(engine) as db:
            await db.fetch(sleep, {"seconds": 30.0})

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(sleeping(), timeout=0.5)
    for _ in range(5):  # whichever connection the pool hands out next works
        async with driver_statements(engine) as db:
            await db.fetch(ADD, {"id": f"n{_}", "at": datetime.now(UTC), **PLAIN})
    assert len(await _stored(engine)) == 5
