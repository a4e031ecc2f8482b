"""`make bench`: runs every benchmarks/bench_*.py (or those named) and writes results/."""

import asyncio
import importlib.util
import sys
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from harness import BenchEnv, write_results

# A phase of a benchmark that runs on its own when named: name -> (benchmark, its function).
PHASES = {
    "pos_tracing": ("pos", "run_tracing"),
    "pos_fast_routes": ("pos", "run_fast_routes"),
    "pos_one_hop": ("pos", "run_one_hop"),
}


def discover(names: list[str]) -> list[tuple[str, Path, str]]:
    """(name, module, function) of each benchmark to run: every one, or those named."""
    here = Path(__file__).parent
    found = sorted(here.glob("bench_*.py"))
    chosen = [
        (path.stem.removeprefix("bench_"), path, "run")
        for path in found
        if not names or path.stem.removeprefix("bench_") in names
    ]
    phases = [(n, here / f"bench_{PHASES[n][0]}.py", PHASES[n][1]) for n in names if n in PHASES]
    return chosen + phases


async def main(names: list[str]) -> int:
    modules = discover(names)
    if not modules:
        print("no benchmarks found")
        return 0
    figures: dict[str, dict[str, Any]] = {}
    async with AsyncExitStack() as stack:
        env = BenchEnv(stack)
        for name, path, function in modules:
            spec = importlib.util.spec_from_file_location(path.stem, path)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            started = time.perf_counter()
            print(f"== {name}", flush=True)
            figures[name] = await getattr(module, function)(env)
            figures[name]["benchmark_seconds"] = round(time.perf_counter() - started, 1)
            print(figures[name], flush=True)
    print(f"written to {write_results(figures)}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
