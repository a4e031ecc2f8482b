import asyncio
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, String, Table, event, select, text
from sqlalchemy.engine.default import CACHE_HIT
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import (
    SessionFactory,
    UtcDateTime,
    add_unless_duplicate,
    create_engine,
    insert_ignoring_conflict,
    insert_keeping_earliest,
    insert_new_keys,
    insert_rows_ignoring_conflict,
    unit_of_work,
)
from kit.testing import tables_in

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", String(10), primary_key=True),
    Column("at", UtcDateTime()),
)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    async with tables_in(database_url, metadata) as factory:
        yield factory


async def test_unit_of_work_commits_on_success_and_rolls_back_on_error(
    sessions: SessionFactory,
) -> None:
    async with unit_of_work(sessions) as session:
        await session.execute(things.insert().values(id="kept", at=datetime.now(UTC)))
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as session:
            await session.execute(things.insert().values(id="lost", at=datetime.now(UTC)))
            raise RuntimeError("boom")
    async with unit_of_work(sessions) as session:
        ids = (await session.execute(select(things.c.id))).scalars().all()
    assert ids == ["kept"]


async def test_insert_ignoring_conflict_reports_whether_the_row_was_new(
    sessions: SessionFactory,
) -> None:
    async with unit_of_work(sessions) as session:
        assert await insert_ignoring_conflict(session, things, {"id": "a"})
        assert not await insert_ignoring_conflict(session, things, {"id": "a"})


async def test_rows_of_any_batch_go_through_one_compiled_insert(sessions: SessionFactory) -> None:
    """A batch consumer inserts a batch of a different size each time: the INSERT is compiled
    once and then taken from SQLAlchemy's cache, not compiled again per batch."""
    engine = sessions.kw["bind"].sync_engine
    caching: list[tuple[str, bool]] = []

    def note(*args: Any) -> None:
        _conn, _cursor, statement, _parameters, context, _many = args
        if statement.lstrip().upper().startswith("INSERT"):
            caching.append((statement, context.cache_hit == CACHE_HIT))

    event.listen(engine, "after_cursor_execute", note)
    at = datetime.now(UTC)
    for size in (1, 3, 2, 5):  # one row and several: each form compiled on its first use
        if size == 2:
            caching.clear()
        rows = [{"id": f"{size}-{n}", "at": at} for n in range(size)]
        async with unit_of_work(sessions) as session:
            assert await insert_new_keys(session, things, rows, "id") == {r["id"] for r in rows}
            assert await insert_new_keys(session, things, rows[:1], "id") == set()
            await insert_rows_ignoring_conflict(session, things, rows)
            await insert_keeping_earliest(session, things, rows, "id", "at")
    event.remove(engine, "after_cursor_execute", note)
    assert caching and all(hit for _statement, hit in caching), "\n".join(map(str, caching))
    async with unit_of_work(sessions) as session:
        assert len((await session.execute(select(things.c.id))).all()) == 11


async def test_timestamps_come_back_aware_in_utc(sessions: SessionFactory) -> None:
    berlin_noon = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    async with unit_of_work(sessions) as session:
        await session.execute(things.insert().values(id="t", at=berlin_noon))
    async with unit_of_work(sessions) as session:
        stored = (await session.execute(select(things.c.at))).scalar_one()
    assert stored == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert stored.tzinfo is not None


async def test_naive_timestamps_are_refused(sessions: SessionFactory) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with unit_of_work(sessions) as session:
            await session.execute(things.insert().values(id="n", at=datetime(2026, 1, 1)))


CRASH_SCRIPT = Path(__file__).with_name("crash_between_writes.py")


async def test_a_crash_after_add_unless_duplicate_leaves_nothing_of_the_unit_of_work(
    database_url: str,
) -> None:
    """A member row must not be committed before the outbox row of the same transaction."""
    process = await asyncio.create_subprocess_exec(sys.executable, str(CRASH_SCRIPT), database_url)
    assert await process.wait() == 9
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            people = (await conn.execute(text("SELECT count(*) FROM people"))).scalar_one()
            notes = (await conn.execute(text("SELECT count(*) FROM notes"))).scalar_one()
    finally:
        await engine.dispose()
    assert (people, notes) == (0, 0)


class Member(DeclarativeBase):
    metadata = metadata


class Person(Member):
    __tablename__ = "people"

    id: Mapped[str] = mapped_column(String(10), primary_key=True)
    email: Mapped[str] = mapped_column(String(100), unique=True)
    tier: Mapped[str] = mapped_column(String(10), default="base")


async def test_add_unless_duplicate_returns_the_stored_row_or_none_and_the_work_goes_on(
    sessions: SessionFactory,
) -> None:
    async with unit_of_work(sessions) as session:
        stored = await add_unless_duplicate(session, Person(id="a", email="a@example.com"))
        assert stored is not None and stored.tier == "base"
        assert await add_unless_duplicate(session, Person(id="b", email="a@example.com")) is None
        await session.execute(things.insert().values(id="after"))
    async with unit_of_work(sessions) as session:
        assert (await session.execute(select(Person.id))).scalars().all() == ["a"]
        assert (await session.execute(select(things.c.id))).scalars().all() == ["after"]


async def test_an_engine_planned_once_keeps_the_connection_settings_it_is_given(
    postgres_url: str,
) -> None:
    """PostgreSQL takes a statement's generic plan from its first run on such an engine's
    connections (kit.db.PLANNED_ONCE), and the settings a caller gives stay theirs."""
    named = {"server_settings": {"application_name": "planned-once-test"}}
    engine = create_engine(postgres_url, planned_once=True, connect_args=named)
    try:
        async with engine.connect() as connection:
            mode = await connection.scalar(text("SHOW plan_cache_mode"))
            name = await connection.scalar(text("SHOW application_name"))
    finally:
        await engine.dispose()
    assert (mode, name) == ("force_generic_plan", "planned-once-test")
    assert named == {"server_settings": {"application_name": "planned-once-test"}}  # untouched
