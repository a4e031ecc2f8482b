from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, MetaData, String, Table, select

from kit.db import (
    SessionFactory,
    UtcDateTime,
    insert_ignoring_conflict,
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
