"""What every benchmark gets: the real servers and platform, and one place to write figures.

A benchmark is a module ``benchmarks/bench_<name>.py`` with ``async def run(env: BenchEnv)``
returning a dict of figures (medians, percentiles, rates, and the ratio to its baseline).
"""

import asyncio
import json
import os
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


# Where the machine's CPU goes during a benchmark, by what the process is (its command line).
GENERATOR = "load generator"  # the bench itself, and the tills it drives (bench_pos)
CPU_GROUPS = (
    ("till door", "till_door.app:create_app"),
    ("gateway api", "gateway.app:create_app"),
    ("loyalty api", "loyalty.app:create_app"),
    ("workers", ".worker"),
    ("other apis", ".app:create_app"),
    ("postgresql", "postgres"),
    ("temporal", "temporal"),
    ("nats", "nats-server"),
    ("redis", "redis-server"),
    (GENERATOR, "benchmarks/run.py"),
    ("bare python till", "bare_till:"),
)


def cpu_by_group() -> dict[str, float]:
    """CPU seconds used so far by every live process, summed per CPU_GROUPS entry."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # ended meanwhile
        group = next((name for name, part in CPU_GROUPS if part in command), "rest")
        fields = stat.rsplit(")", 1)[1].split()
        used[group] = used.get(group, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return used


def cpu_between(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {
        name: round(after.get(name, 0.0) - before.get(name, 0.0), 2)
        for name in sorted(set(before) | set(after))
        if after.get(name, 0.0) - before.get(name, 0.0) > 0.005
    }


async def settled(most_cores: float = 0.25, seconds: float = 2.0, timeout: float = 90.0) -> float:
    """Waits until the machine is quiet (a freshly started platform warms up for a while)."""
    deadline = time.monotonic() + timeout
    while True:
        before = cpu_by_group()
        await asyncio.sleep(seconds)
        busy = sum(cpu_between(before, cpu_by_group()).values()) / seconds
        if busy <= most_cores or time.monotonic() > deadline:
            return round(busy, 2)


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
