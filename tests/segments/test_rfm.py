"""RFM scores on a crafted population whose quintiles are known in advance."""

from datetime import datetime, timedelta
from typing import Any

from kit.db import SessionFactory, unit_of_work
from segments import repository, service
from segments.domain.rfm import named_segment, quintile
from segments.recompute import SegmentConfig, recompute_all
from segments.rulesql import Scope, rfm_scores
from tests.segments.conftest import NOW, deliver, memberships_of, purchase, registered

# name: (days since the last purchase, purchases in the window, spend in the window)
POPULATION = {
    "c1": (300, 5, 5000),
    "c2": (200, 1, 100),
    "c3": (100, 3, 3000),
    "c4": (50, 2, 200),
    "c5": (10, 4, 4000),
}
EXPECTED = {
    "c1": (1, 5, 5, "cannot_lose"),
    "c2": (2, 1, 1, "hibernating"),
    "c3": (3, 3, 3, "need_attention"),
    "c4": (4, 2, 2, "potential_loyalists"),
    "c5": (5, 4, 4, "champions"),
    "old": (1, 1, 1, "lost"),
}


def test_the_score_map_names_every_cell() -> None:
    assert quintile(1, 5) == 1 and quintile(5, 5) == 5
    assert [quintile(rank, 10) for rank in range(1, 11)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert named_segment(5, 5, 5) == "champions"
    assert named_segment(5, 1, 1) == "new"
    assert named_segment(4, 1, 1) == "promising"
    assert named_segment(3, 4, 4) == "loyal"
    assert named_segment(3, 4, 3) == "need_attention"  # FM is the floor of the mean
    assert named_segment(3, 2, 1) == "about_to_sleep"
    assert named_segment(1, 1, 2) == "lost"


async def scores_at(sessions: SessionFactory, now: datetime) -> dict[str, Any]:
    async with sessions() as session:
        scope = Scope(now, await repository.known_time_zones(session))
        rows = (await session.execute(rfm_scores(scope, 365))).all()
    return {row.customer_id: row for row in rows}


async def populate(sessions: SessionFactory) -> dict[str, str]:
    ids: dict[str, str] = {}
    for name, (days, count, spend) in POPULATION.items():
        member = registered(at=NOW - timedelta(days=500))
        assert member.customer_id
        ids[name] = member.customer_id
        events = [
            purchase(member.customer_id, NOW - timedelta(days=days + i), amount=spend // count)
            for i in range(count)
        ]
        await deliver(sessions, member, *events)
    for name, history in (("old", [400]), ("never", [])):
        member = registered(at=NOW - timedelta(days=500))
        assert member.customer_id
        ids[name] = member.customer_id
        old = [purchase(member.customer_id, NOW - timedelta(days=d)) for d in history]
        await deliver(sessions, member, *old)
    return ids


async def test_rfm_scores_and_named_segments_match_the_known_answers(
    sessions: SessionFactory,
) -> None:
    ids = await populate(sessions)
    async with unit_of_work(sessions) as session:
        await recompute_all(session, SegmentConfig(rfm_window_days=365), NOW)
    rows = await scores_at(sessions, NOW)
    async with sessions() as session:
        distribution = await service.rfm_distribution(session)
    for name, (r, f, m, segment) in EXPECTED.items():
        row = rows[ids[name]]
        assert (row.recency, row.frequency, row.monetary, row.segment) == (r, f, m, segment), name
        assert f"rfm.{segment}" in await memberships_of(sessions, ids[name])
    assert ids["never"] not in rows
    assert distribution["champions"] == 1
    assert distribution["lost"] == 1
    assert sum(distribution.values()) == 6


async def test_equal_behaviour_gets_equal_scores(sessions: SessionFactory) -> None:
    twins = []
    for _ in range(2):
        member = registered(at=NOW - timedelta(days=500))
        assert member.customer_id
        twins.append(member.customer_id)
        await deliver(sessions, member, purchase(member.customer_id, NOW - timedelta(days=20)))
    other = registered(at=NOW - timedelta(days=500))
    assert other.customer_id
    await deliver(sessions, other, purchase(other.customer_id, NOW - timedelta(days=2), amount=9))
    async with unit_of_work(sessions) as session:
        await recompute_all(session, SegmentConfig(), NOW)
    rows = await scores_at(sessions, NOW)
    first, second = (rows[t] for t in twins)
    assert (first.recency, first.frequency, first.monetary) == (
        second.recency,
        second.frequency,
        second.monetary,
    )
    assert rows[other.customer_id].recency > first.recency
