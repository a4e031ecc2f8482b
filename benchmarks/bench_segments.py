"""Segments: a full recompute (RFM + recency buckets + five rule segments) over a seeded
synthetic population, beside one plain SQL GROUP BY over the same purchase rows.

The population (1 000 000 customers by default, ``BENCH_SEGMENTS_CUSTOMERS`` to change it)
comes from ``segments.synthetic`` and is loaded with COPY into a fresh segments database on the
benchmark's PostgreSQL. Three figures are timed:

- ``first_materialization_seconds``: the first recompute, when every membership is new (and
  millions of ``segment.entered`` events are written to the outbox);
- ``daily_recompute``: the recompute a day later, then two days later, ... (the daily job; what
  the issue's 10 s target is about), median of the runs;
- ``group_by_baseline``: ``SELECT customer_id, count(*), sum(net_amount), max(purchased_at)
  FROM purchases GROUP BY customer_id``, median of the runs.
"""

import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parent))

from harness import BenchEnv, Stopwatch

from kit.db import create_engine, session_factory, unit_of_work
from kit.migrations import upgrade_async
from segments.models import Segment
from segments.recompute import SegmentConfig, recompute_all
from segments.synthetic import (
    CATEGORY_COLUMNS,
    PROFILE_COLUMNS,
    PURCHASE_COLUMNS,
    Population,
)

RUNS = 3
FIVE_RULES: dict[str, dict[str, Any]] = {
    "Big-city repeat buyers": {
        "and": [
            {"attribute": "city", "op": "in", "value": ["Berlin", "Hamburg", "London"]},
            {"aggregate": "purchase_count", "window": {"days": 365}, "op": "gte", "value": 2},
        ]
    },
    "Shoes in the last 90 days": {"bought_category": "shoes", "window": {"days": 90}},
    "Cooling big spenders": {
        "and": [
            {"attribute": "days_since_last_purchase", "op": "between", "value": [30, 59]},
            {"aggregate": "spend", "op": "gte", "value": 20000},
        ]
    },
    "Last quarter's buyers, not active now": {
        "and": [
            {
                "aggregate": "spend",
                "window": {"period": "previous_quarter"},
                "op": "gt",
                "value": 0,
            },
            {"segment": "recency.active", "op": "not_in"},
        ]
    },
    "Birthday soon or an open cart": {
        "or": [
            {
                "and": [
                    {"attribute": "birthday", "op": "within_days", "value": 7},
                    {"attribute": "subscribed", "op": "contains", "value": "email"},
                ]
            },
            {
                "and": [
                    {"attribute": "cart_total", "op": "gt", "value": 0},
                    {"not": {"attribute": "tier", "op": "in", "value": ["gold", "platinum"]}},
                ]
            },
        ]
    },
}
SECONDARY_INDEXES = (
    ("ix_purchases_customer_time", "purchases (customer_id, purchased_at)"),
    ("ix_purchase_categories_lookup", "purchase_categories (category, purchased_at)"),
)
GROUP_BY = (
    "SELECT count(*) FROM (SELECT customer_id, count(*), sum(net_amount), max(purchased_at) "
    "FROM purchases GROUP BY customer_id) AS per_customer"
)


async def load(dsn: str, population: Population) -> dict[str, int]:
    """COPY the generated rows in batches; secondary indexes are built once at the end."""
    conn = await asyncpg.connect(dsn)
    counts = {"customers": 0, "purchases": 0, "purchase_categories": 0}
    try:
        for name, _ in SECONDARY_INDEXES:
            await conn.execute(f"DROP INDEX {name}")
        for batch in population.batches():
            await conn.copy_records_to_table(
                "customer_profiles", records=batch.profiles, columns=PROFILE_COLUMNS
            )
            await conn.copy_records_to_table(
                "purchases", records=batch.purchases, columns=PURCHASE_COLUMNS
            )
            await conn.copy_records_to_table(
                "purchase_categories", records=batch.categories, columns=CATEGORY_COLUMNS
            )
            counts["customers"] += len(batch.profiles)
            counts["purchases"] += len(batch.purchases)
            counts["purchase_categories"] += len(batch.categories)
        await conn.executemany(
            "INSERT INTO time_zones (time_zone) VALUES ($1)",
            [(zone,) for zone in population.time_zones],
        )
        for name, target in SECONDARY_INDEXES:
            await conn.execute(f"CREATE INDEX {name} ON {target}")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return counts


async def define_rules(sessions: Any, now: datetime) -> None:
    async with unit_of_work(sessions) as session:
        for name, definition in FIVE_RULES.items():
            session.add(
                Segment(
                    id=str(uuid.uuid4()),
                    kind="rule",
                    name=name,
                    version=1,
                    definition=definition,
                    created_at=now,
                    updated_at=now,
                )
            )


async def recompute(sessions: Any, now: datetime) -> tuple[float, dict[str, Any]]:
    stages: dict[str, float] = {}
    with Stopwatch() as watch:
        async with unit_of_work(sessions) as session:
            counts = await recompute_all(session, SegmentConfig(), now, stages)
    return watch.seconds, {"entered": counts.entered, "exited": counts.exited, **stages}


async def group_by(sessions: Any) -> float:
    with Stopwatch() as watch:
        async with sessions() as session:
            await session.execute(text(GROUP_BY))
    return watch.seconds


async def membership_sizes(sessions: Any) -> dict[str, int]:
    query = text(
        "SELECT s.name, count(m.customer_id) FROM segments s LEFT JOIN segment_memberships m "
        "ON m.segment_id = s.id WHERE s.kind = 'rule' OR s.id LIKE 'recency.%' GROUP BY s.name"
    )
    async with sessions() as session:
        return {name: int(n) for name, n in (await session.execute(query)).all()}


async def run(env: BenchEnv) -> dict[str, Any]:
    size = int(os.environ.get("BENCH_SEGMENTS_CUSTOMERS", "1000000"))
    infra = await env.infra()
    url = await infra.create_database(f"bench_segments_{uuid.uuid4().hex[:8]}")
    await upgrade_async("segments:migrations", url)
    now = datetime.now(UTC)
    dsn = url.replace("postgresql+asyncpg", "postgresql")
    started = time.perf_counter()
    rows = await load(dsn, Population(size, now))
    load_seconds = time.perf_counter() - started

    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        await define_rules(sessions, now)
        first_seconds, first = await recompute(sessions, now)
        daily = [await recompute(sessions, now + timedelta(days=day)) for day in range(1, RUNS + 1)]
        baseline = [await group_by(sessions) for _ in range(RUNS)]
        sizes = await membership_sizes(sessions)
    finally:
        await engine.dispose()
    daily_median = statistics.median(seconds for seconds, _ in daily)
    baseline_median = statistics.median(baseline)
    return {
        "population": {**rows, "load_seconds": round(load_seconds, 1)},
        "first_materialization_seconds": round(first_seconds, 2),
        "first_materialization": first,
        "daily_recompute": {
            "median_seconds": round(daily_median, 2),
            "runs_seconds": [round(seconds, 2) for seconds, _ in daily],
            "last_run": daily[-1][1],
        },
        "group_by_baseline": {
            "median_seconds": round(baseline_median, 3),
            "runs_seconds": [round(s, 3) for s in baseline],
        },
        "daily_recompute_to_group_by_ratio": round(daily_median / baseline_median, 1),
        "target_seconds": 10,
        "recompute_parallelism": SegmentConfig().parallelism,
        "segment_sizes": sizes,
    }
