"""The console's first load on loopback, and the weight of its initial route.

Debian's Chromium, through Playwright as the browser walks drive it (`console/browser/
firstload.mjs`), loads the sign-in page and, signed in, the chains screen, each RUNS times in a
fresh browser context (an empty cache), from the gateway of a running platform. Medians of
navigation timing (responseStart, DOMContentLoaded, load), first contentful paint and the
moment the screen is usable (the sign-in form, the first chain's row) stand beside the 1 s
target. The initial route's JavaScript is the build manifest's entry chunk with its static
imports (lazy screens left out), gzipped, beside the 400 KB target.
"""

import asyncio
import gzip
import json
import os
import statistics
from pathlib import Path
from typing import Any

import httpx
from harness import BenchEnv, settled

from kit.stack import ROOT

CONSOLE = ROOT / "console"
DIST = CONSOLE / "dist"
RUNS = 15
CHAINS = 5  # on the chains screen, so it loads rows as well as the page
TARGET_MS = 1_000
TARGET_GZIP_KB = 400
TIMINGS = (
    "response_start_ms",
    "dom_content_loaded_ms",
    "load_ms",
    "first_contentful_paint_ms",
    "usable_ms",
)


def gzipped_kb(path: Path) -> float:
    return round(len(gzip.compress(path.read_bytes(), compresslevel=9)) / 1024, 1)


def initial_chunks(manifest: dict[str, Any]) -> list[str]:
    """The entry chunk and, transitively, what it imports statically (not `dynamicImports`)."""
    entry = next(key for key, chunk in manifest.items() if chunk.get("isEntry"))
    seen: list[str] = []
    pending = [entry]
    while pending:
        key = pending.pop()
        if key not in seen:
            seen.append(key)
            pending += manifest[key].get("imports", [])
    return [manifest[key]["file"] for key in seen]


def bundle() -> dict[str, Any]:
    manifest_path = DIST / ".vite" / "manifest.json"
    if not manifest_path.is_file():
        raise SystemExit("the console is not built with its manifest: make bootstrap-test")
    manifest = json.loads(manifest_path.read_text())
    initial = initial_chunks(manifest)
    every = {chunk["file"] for chunk in manifest.values() if chunk["file"].endswith(".js")}
    sizes = {file: gzipped_kb(DIST / file) for file in sorted(every)}
    initial_kb = round(sum(sizes[file] for file in initial), 1)
    return {
        "initial_js_gzip_kb": initial_kb,
        "target_gzip_kb": TARGET_GZIP_KB,
        "within_target": initial_kb <= TARGET_GZIP_KB,
        "initial_chunks": {file: sizes[file] for file in initial},
        "lazy_js_gzip_kb": round(sum(sizes.values()) - initial_kb, 1),
        "largest_lazy_chunk": max(set(every) - set(initial), key=lambda file: sizes[file]),
    }


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    figures: dict[str, Any] = {
        f"{name}_p50": round(statistics.median(run[name] for run in runs), 1)
        for name in TIMINGS
        if all(run[name] is not None for run in runs)
    }
    figures["usable_max_ms"] = round(max(run["usable_ms"] for run in runs), 1)
    figures["within_target"] = figures["usable_ms_p50"] < TARGET_MS
    # What the screen fetched: the same chunks on every run, so the first run's list.
    scripts = runs[0]["scripts"]
    figures["scripts_loaded"] = len(scripts)
    figures["scripts_kb"] = round(sum(script["bytes"] for script in scripts) / 1024, 1)
    return figures


async def some_chains(gateway: str, key: str) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        for i in range(CHAINS):
            copied = await client.post(
                "/v1/chains/templates/reactivation/copy",
                json={"id": f"bench_console_{os.getpid()}_{i}"},
                headers=headers,
            )
            assert copied.status_code == 201, copied.text


async def loads(gateway: str, key: str) -> dict[str, list[dict[str, Any]]]:
    process = await asyncio.create_subprocess_exec(
        "node",
        "browser/firstload.mjs",
        cwd=CONSOLE,
        env={
            **os.environ,
            "CONSOLE_URL": f"{gateway}/console/",
            "MARKETER_KEY": key,
            "RUNS": str(RUNS),
            "CHROMIUM": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=900)
    if process.returncode:
        raise RuntimeError(f"firstload.mjs failed:\n{out.decode()}\n{err.decode()}")
    measured: dict[str, list[dict[str, Any]]] = json.loads(out.decode().strip().splitlines()[-1])
    return measured


async def run(env: BenchEnv) -> dict[str, Any]:
    weight = bundle()
    platform = await env.platform()
    key = await asyncio.to_thread(platform.create_key, "marketer")
    await some_chains(platform.gateway, key)
    busy = await settled()
    measured = await loads(platform.gateway, key)
    return {
        "runs": RUNS,
        "target_ms": TARGET_MS,
        "busy_cores_before": busy,
        # The machine is shared: the 1-minute load average when the loads ended, for reading
        # the medians beside it.
        "load_average_1m": round(os.getloadavg()[0], 1),
        "sign_in": medians(measured["sign_in"]),
        "chains": medians(measured["chains"]),
        "bundle": weight,
    }
