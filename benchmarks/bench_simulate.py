"""The simulator: 100 000 customers of a known population through a chain's projections on the
database (the set-based path `make simulate` takes), on SQLite and on PostgreSQL, then the
analytics report over their 100 000 enrollments, as `GET /analytics/chains/{id}` runs it."""

import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from harness import BenchEnv

from kit.db import create_engine, session_factory, unit_of_work
from orchestrator.analytics import Valuation, report
from orchestrator.simulate import Scenario, simulate

CUSTOMERS = 100_000
READS = 3  # the report's time is the median of these


async def run(env: BenchEnv) -> dict[str, Any]:
    infra = await env.infra()
    postgres = await infra.create_database(f"bench_simulate_{uuid.uuid4().hex[:8]}")
    with tempfile.TemporaryDirectory() as folder:
        sqlite = f"sqlite+aiosqlite:///{Path(folder) / 'sim.db'}"
        return {
            "customers": CUSTOMERS,
            "sqlite": await _through_chain(sqlite),
            "postgresql": await _through_chain(postgres),
        }


async def _through_chain(url: str) -> dict[str, Any]:
    started, cpu = time.perf_counter(), time.process_time()
    result = await simulate(Scenario(customers=CUSTOMERS, seed=1), url)
    seconds = time.perf_counter() - started
    reads = [await _report_seconds(url) for _ in range(READS)]
    return {
        "simulate_seconds": round(seconds, 1),
        # The simulator's own CPU: on a shared machine the wall time is mostly waiting.
        "simulate_cpu_seconds": round(time.process_time() - cpu, 1),
        "customers_per_second": round(CUSTOMERS / seconds),
        "report_seconds_median": round(statistics.median(s for s, _ in reads), 2),
        "report_cpu_seconds_median": round(statistics.median(c for _, c in reads), 2),
        "enrollments": result.figures["treated"] + result.figures["holdout"],
        "uplift_covered": result.covers("uplift", result.truth_conversion),
        "incremental_roi": round(result.figures["incremental_roi"], 3),
        "true_roi": round(result.truth_roi or 0, 3),
    }


async def _report_seconds(url: str) -> tuple[float, float]:
    """The analytics queries and arithmetic over the simulated chain, as the route runs them:
    wall and CPU seconds of this process."""
    engine = create_engine(url)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            started, cpu = time.perf_counter(), time.process_time()
            await report(session, "sim", Valuation(point_value=100))
            return time.perf_counter() - started, time.process_time() - cpu
    finally:
        await engine.dispose()
