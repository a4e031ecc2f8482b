"""`make run` keeps segments on SQLite: the same projection, recompute and rules work there."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from kit.db import SessionFactory, create_engine, session_factory, unit_of_work
from kit.migrations import upgrade_async
from segments import service
from segments.recompute import SegmentConfig, recompute_all
from segments.schemas import PreviewIn
from tests.segments.conftest import (
    changes,
    deliver,
    memberships_of,
    outbox_events,
    purchase,
    registered,
)


@pytest.fixture
async def sqlite_sessions(sqlite_url: str) -> AsyncIterator[SessionFactory]:
    await upgrade_async("segments:migrations", sqlite_url)
    engine = create_engine(sqlite_url)
    yield session_factory(engine)
    await engine.dispose()


async def test_projection_recompute_and_rules_on_sqlite(sqlite_sessions: SessionFactory) -> None:
    now = datetime.now(UTC)
    member = registered(time_zone="Asia/Tokyo", city="Osaka", at=now - timedelta(days=90))
    assert member.customer_id
    await deliver(
        sqlite_sessions,
        member,
        purchase(member.customer_id, now - timedelta(days=40), categories=("tea",)),
    )
    assert await memberships_of(sqlite_sessions, member.customer_id) == {"recency.cooling"}

    async with unit_of_work(sqlite_sessions) as session:
        await recompute_all(session, SegmentConfig(), now)
        rule = {
            "and": [
                {"segment": "recency.cooling"},
                {"bought_category": "tea", "window": {"days": 90}},
                {"aggregate": "purchase_count", "op": "lt", "value": 2},
                {"attribute": "days_since_last_purchase", "op": "between", "value": [30, 59]},
            ]
        }
        count, sample = await service.preview(session, PreviewIn(definition=rule), now)
    assert (count, sample) == (1, [member.customer_id])
    # a lone buyer ranks first of one, so scores 1-1-1 (ties take the lowest rank)
    assert await memberships_of(sqlite_sessions, member.customer_id) == {
        "recency.cooling",
        "rfm.lost",
    }
    assert ("segment.entered", "rfm.lost") in changes(await outbox_events(sqlite_sessions))
