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


def discover(names: list[str]) -> list[Path]:
    found = sorted(Path(__file__).parent.glob("bench_*.py"))
    return [path for path in found if not names or path.stem.removeprefix("bench_") in names]


async def main(names: list[str]) -> int:
    modules = discover(names)
    if not modules:
        print("no benchmarks found")
        return 0
    figures: dict[str, dict[str, Any]] = {}
    async with AsyncExitStack() as stack:
        env = BenchEnv(stack)
        for path in modules:
            name = path.stem.removeprefix("bench_")
            spec = importlib.util.spec_from_file_location(path.stem, path)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            started = time.perf_counter()
            print(f"== {name}", flush=True)
            figures[name] = await module.run(env)
            figures[name]["benchmark_seconds"] = round(time.perf_counter() - started, 1)
            print(figures[name], flush=True)
    print(f"written to {write_results(figures)}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
