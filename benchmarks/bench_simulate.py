"""The simulator: a known population through the orchestrator's projections on SQLite, then the
analytics report over it; and the report's arithmetic alone over 100 000 customers."""

import tempfile
import time
from pathlib import Path
from typing import Any

from harness import BenchEnv

from kit.db import create_engine, session_factory, unit_of_work
from orchestrator.analytics import Valuation, report
from orchestrator.simulate import Scenario, in_memory, simulate

STORED = 1_000  # customers through the database: about ten statements each
IN_MEMORY = 100_000


async def run(_env: BenchEnv) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'sim.db'}"
        started = time.perf_counter()
        result = await simulate(Scenario(customers=STORED, seed=1), url)
        stored_seconds = time.perf_counter() - started
        report_seconds = await _report_seconds(url)
    started = time.perf_counter()
    large = in_memory(Scenario(customers=IN_MEMORY, seed=1))
    memory_seconds = time.perf_counter() - started
    return {
        "stored_customers": STORED,
        "stored_seconds": round(stored_seconds, 1),
        "stored_customers_per_second": round(STORED / stored_seconds),
        "report_seconds": round(report_seconds, 3),
        "in_memory_customers": IN_MEMORY,
        "in_memory_seconds": round(memory_seconds, 1),
        "uplift_covered": result.covers("uplift", result.truth_conversion),
        "in_memory_incremental_roi": large.figures["incremental_roi"],
        "in_memory_true_roi": round(large.truth_roi or 0, 3),
    }


async def _report_seconds(url: str) -> float:
    """The analytics query and arithmetic over the simulated chain, as the route runs them."""
    engine = create_engine(url)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            started = time.perf_counter()
            await report(session, "sim", Valuation(point_value=100))
            return time.perf_counter() - started
    finally:
        await engine.dispose()
