"""What every benchmark gets: the real servers and platform, and one place to write figures.

A benchmark is a module ``benchmarks/bench_<name>.py`` with ``async def run(env: BenchEnv)``
returning a dict of figures (medians, percentiles, rates, and the ratio to its baseline).
"""

import json
import statistics
import tempfile
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kit.stack import ROOT, Infra, Platform, running_infra, running_platform

RESULTS = ROOT / "results"


@dataclass
class BenchEnv:
    """Starts the servers and the platform on first use; one of each per `make bench`."""

    stack: AsyncExitStack
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-")))
    _infra: Infra | None = None
    _platform: Platform | None = None

    async def infra(self) -> Infra:
        if self._infra is None:
            self._infra = self.stack.enter_context(running_infra(self.workdir))
        return self._infra

    async def platform(self) -> Platform:
        if self._platform is None:
            self._platform = await self.stack.enter_async_context(
                running_platform(await self.infra())
            )
        return self._platform


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def latency_summary(seconds: list[float]) -> dict[str, float]:
    """Milliseconds: median, p99 and the count they came from."""
    return {
        "count": len(seconds),
        "p50_ms": round(statistics.median(seconds) * 1000, 3),
        "p99_ms": round(percentile(seconds, 0.99) * 1000, 3),
    }


class Stopwatch:
    def __enter__(self) -> "Stopwatch":
        self.started = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


def write_results(figures: dict[str, dict[str, Any]]) -> Path:
    """Merges this run's figures into results/bench.json and renders results/BENCH.md."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "bench.json"
    stored: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    stored.update(figures)
    path.write_text(json.dumps(stored, indent=2, sort_keys=True) + "\n")
    (RESULTS / "BENCH.md").write_text(render(stored))
    return path


def render(stored: dict[str, Any]) -> str:
    lines = ["# Benchmark results", "", "Written by `make bench`; one section per benchmark.", ""]
    for name in sorted(stored):
        lines += [f"## {name}", "", "| figure | value |", "|---|---|"]
        lines += [f"| {key} | {value} |" for key, value in _flatten(stored[name])]
        lines.append("")
    return "\n".join(lines)


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if not isinstance(value, dict):
        return [(prefix, value)]
    rows: list[tuple[str, Any]] = []
    for key, inner in value.items():
        rows += _flatten(inner, f"{prefix}.{key}" if prefix else key)
    return rows
