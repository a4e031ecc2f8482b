"""The till's hot path through the till's door: calculate, and reserve + confirm.

Tills call the till's door (`till_door`: the gateway's public API with loyalty's app in the
same process, where the ingress sends `/v1/purchases`), as in production.

Open-loop load at a fixed rate (latency counted from each request's scheduled start, so a
slow server is not hidden by a waiting generator), then closed loops for the most confirms per
second, driven by 16 tills in a Go process (benchmarks/tills, its CPU counted as the load
generator's): with fresh customers (each first purchase also ends the customer's welcome
chain; the ratio target is taken from this one), again once every customer has bought, and
once more with the event consumers stopped (the till alone, as when they run on other
machines).

Two baselines run the same writes as one reserve + confirm (member row lock, lot updates,
operations, journal, purchase, allocation, accrual lot, outbox; see ``bare_till``): pgbench on
the same PostgreSQL, and a bare Python till, two bare ASGI hops over asyncpg, which is the floor
of any Python till here. pgbench runs before the loops and again after them, and the mean of
the two is the baseline of every ratio. Targets on the 2-core machine: p99 <= 50 ms at 200
rps; confirms >= 30 % of the pgbench baseline.

Then overload: reserve + confirm at twice the capacity measured above (repeat customers), for a
bounded time. The gateway sheds what its bulkheads cannot take (503 `overloaded`, see
docs/gateway.md); targets: accepted requests p99 <= 200 ms, refused ones answered within 50 ms.
The resident memory of each process is sampled after each loaded phase (target <= 200 MB).

Then the fast routes' worth (kit.fastpath): the till alone in turns with the gateway's and
loyalty's fast routes off and on, each turn on freshly restarted APIs.

Last, tracing's cost: the closed loop with tracing off and on (sampled as in production),
in turns on two platforms; CPU per confirm with tracing on within 10 % of off. That phase runs
alone with `make bench BENCH=pos_tracing` (its size from BENCH_TRACING_TURNS, _SECONDS and
_CUSTOMERS), the fast routes' with `make bench BENCH=pos_fast_routes` (BENCH_FAST_ROUTE_TURNS).

Not in the full run: `make bench BENCH=pos_one_hop` runs the till alone through the gateway's two
hops (the gateway, then loyalty over HTTP) and through the till's door, in turns
(BENCH_ONE_HOP_TURNS): what the door saves.
"""

import asyncio
import atexit
import contextlib
import dataclasses
import functools
import itertools
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import bare_till
import httpx
from harness import (
    GENERATOR,
    BenchEnv,
    cpu_between,
    cpu_by_group,
    latency_summary,
    settled,
)

from kit import heap
from kit.migrations import upgrade_async
from kit.stack import (
    TILL_DOOR,
    Infra,
    Platform,
    Proc,
    ProcessGroup,
    free_port,
    port_open,
    postgres_bin,
    running_platform,
    tracing_env,
)

RATE = 200  # requests per second
SECONDS = 8
CUSTOMERS = 200
# The gateway allows each key 50 requests a second (a burst of 100). As many keys as it takes
# for no loop, the overload's included, to be held back by the keys' rate limit rather than by
# the platform: with 10, the till alone met it near 310 confirms/s. A loop that meets it counts
# its 429s in `rate_limited`.
KEYS = 32
CONCURRENCY = 16
OVERLOAD = 2  # times the measured capacity
RETRY_AFTER_SECONDS = 1.0  # what the gateway's 503 overloaded asks of a till
LINES = [{"sku": "SOFA", "category": "sofas", "quantity": 1, "price": 30_000}]

Call = Callable[[int], Awaitable[list[tuple[float, int]]]]


async def _customers(platform: Platform, count: int = CUSTOMERS) -> list[str]:
    async with httpx.AsyncClient(base_url=platform.service("loyalty"), timeout=60) as loyalty:
        ids = []
        for n in range(count):
            email = f"bench-{n}-{uuid.uuid4().hex[:6]}@example.com"
            ids.append((await loyalty.post("/members", json={"email": email})).json()["id"])
        grant = {
            "idempotency_key": uuid.uuid4().hex,
            "member_ids": ids,
            "amount": 1_000_000,
            "lifetime_days": 30,
            "source": "manual",
        }
        assert (await loyalty.post("/grants/bulk", json=grant)).status_code == 201
    return ids


async def _keys(platform: Platform) -> list[str]:
    return list(
        await asyncio.gather(*(asyncio.to_thread(platform.create_key, "pos") for _ in range(KEYS)))
    )


class Till:
    """Many tills in one process, for the open loops (aiohttp); the closed loops' tills are the
    Go process ``closed_loop`` drives (benchmarks/tills), as cheap as pgbench's client."""

    RESERVE = "/v1/purchases"
    CONFIRM = "/v1/purchases/{txid}/confirm"

    def __init__(
        self, client: aiohttp.ClientSession, base: str, keys: list[str], customers: list[str]
    ) -> None:
        self.client = client
        self.base = base
        self.key_list = keys
        self.keys = itertools.cycle([{"Authorization": f"Bearer {key}"} for key in keys])
        self.customers = customers
        self.refusals: Counter[str] = Counter()  # the codes of 503 answers

    def receipt(self, n: int, **extra: Any) -> dict[str, Any]:
        customer = self.customers[n % len(self.customers)]
        body = {"customer_id": customer, "store_id": "s1", "channel": "offline", "lines": LINES}
        return {**body, **extra}

    async def post(self, path: str, body: dict[str, Any]) -> tuple[float, int]:
        started = time.perf_counter()
        try:
            async with self.client.post(
                self.base + path, json=body, headers=next(self.keys)
            ) as response:
                answer = await response.read()
        except (aiohttp.ClientError, TimeoutError):
            return time.perf_counter() - started, 0  # counted as an error: no answer in time
        if response.status == 503:
            self.refusals[json.loads(answer).get("code", "?")] += 1
        return time.perf_counter() - started, response.status

    async def calculate(self, n: int) -> list[tuple[float, int]]:
        return [await self.post("/v1/purchases/calculate", self.receipt(n, points="max"))]

    def closed_loop(self, seconds: float) -> Awaitable[dict[str, Any]]:
        """``reserve_confirm`` in a closed loop, by the Go tills (the same requests)."""
        receipt = {k: v for k, v in self.receipt(0, points=10).items() if k != "customer_id"}
        loop = {"protocol": "platform", "base": self.base, "keys": self.key_list}
        return closed_loop({**loop, "customers": self.customers, "receipt": receipt}, seconds)

    async def reserve_confirm(self, n: int) -> list[tuple[float, int]]:
        txid = uuid.uuid4().hex
        reserved = await self.post(self.RESERVE, self.receipt(n, points=10, txid=txid))
        if reserved[1] != 201:
            return [reserved]
        return [reserved, await self.post(self.CONFIRM.format(txid=txid), {})]


async def open_loop(call: Call, per_second: float, seconds: float) -> dict[str, Any]:
    """Starts call(n) on schedule; each latency counts from the scheduled start."""
    return _summary(*await scheduled_calls(call, per_second, seconds))


async def scheduled_calls(
    call: Call, per_second: float, seconds: float
) -> tuple[list[tuple[float, int]], float]:
    """Every (latency, status) of an open loop, and how long it took."""
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def scheduled(n: int, due: float) -> list[tuple[float, int]]:
        results = await call(n)
        lag = max(0.0, loop.time() - due - sum(seconds for seconds, _ in results))
        return [(seconds + lag / len(results), status) for seconds, status in results]

    tasks = []
    for n in range(int(per_second * seconds)):
        due = start + n / per_second
        await asyncio.sleep(max(0.0, due - loop.time()))
        tasks.append(asyncio.create_task(scheduled(n, due)))
    done = [r for results in await asyncio.gather(*tasks) for r in results]
    return done, loop.time() - start


@functools.cache
def tills_binary() -> Path:
    """The closed loops' tills (benchmarks/tills, Go), built once per bench run and removed
    at its end."""
    folder = Path(tempfile.mkdtemp(prefix="tills-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    source = Path(__file__).parent / "tills"
    subprocess.run(["go", "build", "-o", str(folder / "tills"), "."], cwd=source, check=True)
    return folder / "tills"


async def closed_loop(loop: dict[str, Any], seconds: float) -> dict[str, Any]:
    """CONCURRENCY tills, each buying one purchase after another for ``seconds`` (a 503 sends
    a till away for RETRY_AFTER_SECONDS). The tills are a Go process, cheap as pgbench's client
    (docs/loyalty.md, "POS benchmark"); the CPU it spent is in ``generator_cpu_seconds``."""
    loop = {
        **loop,
        "workers": CONCURRENCY,
        "seconds": seconds,
        "retry_after_seconds": RETRY_AFTER_SECONDS,
    }
    tills = await asyncio.create_subprocess_exec(
        str(tills_binary()),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "GOMAXPROCS": "1"},  # a few hundred requests a second
    )
    answer, _ = await tills.communicate(json.dumps(loop).encode())
    assert tills.returncode == 0, "the tills failed (their error is above)"
    outcome = json.loads(answer)
    done = [(latency, int(status)) for latency, status in outcome["calls"] or []]
    return {
        **_summary(done, outcome["elapsed"]),
        "refusal_codes": outcome["refusals"],
        "generator_cpu_seconds": outcome["cpu_seconds"],
    }


def _summary(done: list[tuple[float, int]], elapsed: float) -> dict[str, Any]:
    ok = [seconds for seconds, status in done if 200 <= status < 300]
    statuses = sorted({status for _, status in done})
    return {
        **latency_summary(ok or [0.0]),
        "errors": len(done) - len(ok),
        "rate_limited": sum(1 for _, status in done if status == 429),
        "statuses": statuses,
        "requests_per_second": round(len(done) / elapsed, 1),
        "answered_2xx_per_second": round(len(ok) / elapsed, 1),
    }


async def overload(till: Till, capacity: float) -> dict[str, Any]:
    """Reserve + confirm at OVERLOAD times ``capacity`` (confirms per second): the latency of
    accepted requests, of refused ones (503 `overloaded`) and the share refused."""
    till.refusals.clear()
    with heap.set_aside():  # the generator's own stalls are no latency of the platform's
        done, elapsed = await scheduled_calls(till.reserve_confirm, capacity * OVERLOAD, SECONDS)
    accepted = [seconds for seconds, status in done if 200 <= status < 300]
    refused = [seconds for seconds, status in done if status == 503]
    return {
        "offered_pairs_per_second": round(capacity * OVERLOAD, 1),
        "accepted": latency_summary(accepted or [0.0]),
        "refused": latency_summary(refused or [0.0]),
        "refused_share": round(len(refused) / (len(done) or 1), 3),
        "refusal_codes": dict(till.refusals),
        "other_errors": len(done) - len(accepted) - len(refused),
        "confirms_per_second": round(len(accepted) / 2 / elapsed, 1),
        "targets": "accepted p99 <= 200 ms; refused p99 <= 50 ms",
    }


def rss_mb(platform: Platform, infra: Infra) -> dict[str, float]:
    """Resident memory of each of the platform's processes and the servers' main ones, in MB."""
    found = {}
    for name, pid in {**infra.group.pids(), **platform.group.pids()}.items():
        with contextlib.suppress(OSError, StopIteration):
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
            kilobytes = next(line for line in status if line.startswith("VmRSS:")).split()[1]
            found[name] = round(int(kilobytes) / 1024, 1)
    return found


def most_rss(samples: list[dict[str, float]]) -> dict[str, Any]:
    largest = {name: max(s.get(name, 0.0) for s in samples) for name in samples[0]}
    return {
        "largest_mb": largest,
        "over_200_mb": sorted(n for n, mb in largest.items() if mb > 200),
    }


async def _seeded_database(infra: Infra) -> str:
    """A fresh loyalty database with CUSTOMERS members, each with one large lot."""
    database = f"bench_pos_{uuid.uuid4().hex[:8]}"
    await upgrade_async("loyalty:migrations", await infra.create_database(database))
    conn = await asyncpg.connect(
        host="127.0.0.1", port=infra.postgres_port, user="postgres", database=database
    )
    try:
        await conn.execute(bare_till.seed_sql(CUSTOMERS))
    finally:
        await conn.close()
    return database


async def pgbench_baseline(infra: Infra) -> dict[str, Any]:
    database = await _seeded_database(infra)
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "reserve_confirm.sql"
        script.write_text(bare_till.pgbench_script(CUSTOMERS))
        argv = [postgres_bin("pgbench"), "-h", "127.0.0.1", "-p", str(infra.postgres_port)]
        argv += ["-U", "postgres", "-n", "-c", str(CONCURRENCY), "-j", "2", "-T", str(SECONDS)]
        argv += ["-f", str(script), database]
        done = await asyncio.to_thread(subprocess.run, argv, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return {"tps": _tps(done.stdout), "clients": CONCURRENCY, "seconds": SECONDS}


def both_baselines(first: dict[str, Any], last: dict[str, Any]) -> dict[str, Any]:
    """pgbench before the loops and after them: the mean is the baseline of every ratio."""
    runs = [first["tps"], last["tps"]]
    return {**last, "tps": round(statistics.mean(runs), 1), "runs_tps": runs}


async def bare_till_baseline(infra: Infra, workdir: Path) -> dict[str, Any]:
    """The same writes behind two bare Python HTTP hops, driven like the platform's till."""
    database = await _seeded_database(infra)
    ports = {"service": free_port(), "proxy": free_port()}
    env = {
        "BARE_TILL_DSN": f"postgresql://postgres@127.0.0.1:{infra.postgres_port}/{database}",
        "BARE_TILL_UPSTREAM": f"http://127.0.0.1:{ports['service']}",
        "PYTHONPATH": str(Path(__file__).parent),
    }
    group = ProcessGroup(workdir / f"bare-till-{database}")
    procs = []
    for name, port in ports.items():
        argv = ["uvicorn", f"bare_till:{name}", "--factory", "--lifespan", "on"]
        argv += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
        argv += ["--log-level", "warning"]
        procs.append(Proc(f"bare-till-{name}", argv, env=env, ready=partial(port_open, port)))
    # The Go tills' bare protocol: /reserve, then /confirm, of the n-th purchase's customer.
    loop = {"protocol": "bare", "base": f"http://127.0.0.1:{ports['proxy']}", "count": CUSTOMERS}
    try:
        group.start_all_and_wait(procs)
        await closed_loop(loop, 1)  # warm-up
        figures = await measured(closed_loop(loop, SECONDS), True)
    finally:
        group.stop_all()
    return {**figures, "confirms_per_second": figures["answered_2xx_per_second"] / 2}


def _tps(output: str) -> float:
    line = next(line for line in output.splitlines() if line.startswith("tps ="))
    return float(line.split()[2])


async def measured(run: Awaitable[dict[str, Any]], pairs: bool = False) -> dict[str, Any]:
    """A phase's figures and the CPU it cost, by process kind (per confirm when it confirms)."""
    with heap.set_aside():  # the generator's own stalls are no latency of the platform's
        before = cpu_by_group()
        figures = await run
        spent = cpu_between(before, cpu_by_group())
    tills = figures.pop("generator_cpu_seconds", 0.0)  # a process that has ended meanwhile
    spent[GENERATOR] = round(spent.get(GENERATOR, 0.0) + tills, 2)
    figures["cpu_seconds"] = spent
    if pairs:  # a reserve and its confirm
        done = figures["count"] / 2 or 1
        figures["cpu_ms_per_confirm"] = {k: round(v * 1000 / done, 1) for k, v in spent.items()}
    return figures


CONSUMERS = ("segments", "orchestrator", "notifier")


async def till_alone(platform: Platform, till: Till) -> dict[str, Any]:
    """A closed loop with the event consumers stopped, as if they ran on other machines.

    The confirms' events wait in JetStream meanwhile; the consumers take them up on restart,
    and the next phase starts once they are through.
    """
    for package in CONSUMERS:
        platform.stop_worker(package)
    try:
        await till.closed_loop(1)  # warm-up after the pause
        figures = await measured(till.closed_loop(SECONDS), True)
    finally:
        for package in CONSUMERS:
            platform.start_worker(package)
    await settled()
    return figures


# The fast routes' phase: turns of the till alone with the gateway's and loyalty's fast routes
# off and on (kit.fastpath), each API restarted for its turn.
FAST_ROUTE_TURNS = int(os.environ.get("BENCH_FAST_ROUTE_TURNS", "4"))
FAST_ROUTE_APIS = ("gateway", "loyalty")


def restart_apis(platform: Platform, fast: bool) -> None:
    """The gateway's and loyalty's APIs, and the till's door that serves both, again, their
    fast routes on or off."""
    flags = {f"{p.upper()}_FAST_ROUTES": "true" if fast else "false" for p in FAST_ROUTE_APIS}
    for name in (*(f"{package}-api" for package in FAST_ROUTE_APIS), TILL_DOOR):
        spec = platform.group.specs[name]
        platform.group.stop(name)
        platform.group.start_and_wait(dataclasses.replace(spec, env={**spec.env, **flags}))


async def in_turns(
    platform: Platform, count: int, names: tuple[str, str], loop: Callable[[str], Awaitable[Any]]
) -> list[dict[str, dict[str, Any]]]:
    """The till alone (consumers stopped): ``loop(name)`` for both names in each of ``count``
    turns, the order alternating from turn to turn."""
    for package in CONSUMERS:
        platform.stop_worker(package)
    turns = []
    try:
        for turn in range(count):
            order = names if turn % 2 == 0 else names[::-1]
            turns.append({name: await loop(name) for name in order})
    finally:
        for package in CONSUMERS:
            platform.start_worker(package)
    return turns


async def fast_routes(platform: Platform, till: Till) -> dict[str, Any]:
    """The till alone, in turns with the fast routes off and on: confirms per second and CPU
    per confirm, medians and the median ratio of on to off."""

    async def loop(name: str) -> dict[str, Any]:
        restart_apis(platform, name == "on")
        await till.closed_loop(2)  # keys, pools, caches
        return await measured(till.closed_loop(SECONDS), True)

    try:
        turns = await in_turns(platform, FAST_ROUTE_TURNS, ("off", "on"), loop)
    finally:
        restart_apis(platform, True)
    await settled()
    return fast_route_figures(turns)


def fast_route_figures(turns: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    return paired_figures(turns, "fast_routes", ("off", "on"))


def paired_figures(
    turns: list[dict[str, dict[str, Any]]], prefix: str, names: tuple[str, str]
) -> dict[str, Any]:
    """Medians over turns of two loops (``names``: the base, then the other), and the median
    ratio, turn by turn, of the other to the base."""

    def confirms(figures: dict[str, Any]) -> float:
        return float(figures["answered_2xx_per_second"]) / 2

    def cpu(figures: dict[str, Any], process: str | None = None) -> float:
        spent: dict[str, float] = figures["cpu_ms_per_confirm"]
        return spent.get(process, 0.0) if process else sum(spent.values())

    base, other = names
    found: dict[str, Any] = {"turns": len(turns), "loop_seconds": SECONDS}
    for name in names:
        rounds = [t[name] for t in turns]
        processes = sorted({p for r in rounds for p in r["cpu_ms_per_confirm"]})
        found[f"{prefix}_{name}"] = {
            "confirms_per_second_median": statistics.median(confirms(r) for r in rounds),
            "cpu_ms_per_confirm_median": round(statistics.median(cpu(r) for r in rounds), 2),
            "gateway_api_cpu_ms_per_confirm_median": statistics.median(
                cpu(r, "gateway api") for r in rounds
            ),
            "loyalty_api_cpu_ms_per_confirm_median": statistics.median(
                cpu(r, "loyalty api") for r in rounds
            ),
            "cpu_ms_per_confirm_by_process_median": {
                p: round(statistics.median(cpu(r, p) for r in rounds), 2) for p in processes
            },
            "p99_ms": [r["p99_ms"] for r in rounds],
            "errors": sum(r["errors"] for r in rounds),
            "statuses": sorted({status for r in rounds for status in r["statuses"]}),
        }
    for figure, of in (("confirms_per_second", confirms), ("cpu_ms_per_confirm", cpu)):
        ratios = [of(t[other]) / of(t[base]) for t in turns]
        found[f"{figure}_ratio_{other}_to_{base}_median"] = round(statistics.median(ratios), 3)
        found[f"{figure}_ratio_{other}_to_{base}"] = [round(r, 3) for r in ratios]
    return found


# The one hop's phase: the till alone through the gateway's two hops and the door, in turns.
ONE_HOP_TURNS = int(os.environ.get("BENCH_ONE_HOP_TURNS", "6"))


async def one_hop(platform: Platform, till: Till) -> dict[str, Any]:
    """What the till's door saves (docs/loyalty.md, "One hop for the till"): the till alone
    (consumers stopped) through the gateway's two hops (the gateway, then loyalty over HTTP)
    and through the door (the same apps in one process), the order alternating from turn to
    turn. The same tills, keys, calls and customers; the same checks, bulkhead and answers."""
    gateway = Till(till.client, platform.gateway, till.key_list, till.customers)
    tills = {"gateway": gateway, "door": till}
    refusals: Counter[str] = Counter()  # the codes of the 503s in the measured loops

    async def loop(name: str) -> dict[str, Any]:
        await tills[name].closed_loop(1)
        figures = await measured(tills[name].closed_loop(SECONDS), True)
        refusals.update(figures["refusal_codes"])
        return figures

    turns = await in_turns(platform, ONE_HOP_TURNS, ("gateway", "door"), loop)
    await settled()
    return {
        **paired_figures(turns, "till", ("gateway", "door")),
        "refusal_codes": dict(refusals),
        "what": "the till alone, through the gateway's two hops and through the till's door",
    }


# As production samples (k8s/overlays/prod): one trace in ten started at the gateway is kept.
TRACING_SAMPLE_RATE = 0.1
# The phase's size, so that `make bench BENCH=pos_tracing` can be repeated on its own: turns of
# off-then-on (or on-then-off) pairs, each loop's seconds, customers per platform.
TRACING_TURNS = int(os.environ.get("BENCH_TRACING_TURNS", "10"))
TRACING_SECONDS = float(os.environ.get("BENCH_TRACING_SECONDS", str(SECONDS)))
TRACING_CUSTOMERS = int(os.environ.get("BENCH_TRACING_CUSTOMERS", str(CUSTOMERS)))


def own_cpu(platform: Platform) -> dict[str, float]:
    """CPU seconds used so far by each of this platform's own APIs and workers: the processes
    tracing adds work to, and on a shared machine the only figures no other run can swell."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for name, pid in platform.group.pids().items():
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[name] = (int(fields[11]) + int(fields[12])) / ticks
    return used


async def own_settled(platforms: list[Platform], most_cores: float = 0.25) -> None:
    """Waits until these platforms are done with what the last loop left them (events in
    JetStream, workflows), whatever other runs on the machine are doing."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        before = sum(sum(own_cpu(p).values()) for p in platforms)
        await asyncio.sleep(2)
        busy = (sum(sum(own_cpu(p).values()) for p in platforms) - before) / 2
        if busy <= most_cores * len(platforms):
            return


IDLE_SECONDS = 3.0


async def own_measured(platform: Platform, till: Till, others: list[Platform]) -> dict[str, Any]:
    """One closed loop, and the CPU the platform spent on it, the events and workflows it
    caused included: counted until the platform is quiet again, less what each process spends
    idle (polls, timers), measured just before: that is no cost of a confirm, and a slower arm
    would otherwise be charged more of it per confirm."""
    idle_from = own_cpu(platform)
    await asyncio.sleep(IDLE_SECONDS)
    before, started = own_cpu(platform), time.monotonic()
    idle = {k: (v - idle_from.get(k, v)) / IDLE_SECONDS for k, v in before.items()}
    figures = await till.closed_loop(TRACING_SECONDS)
    figures.pop("generator_cpu_seconds")  # the platform's CPU only, below
    await own_settled([platform, *others])
    elapsed = time.monotonic() - started
    spent = {
        k: max(0.0, v - before.get(k, 0.0) - idle.get(k, 0.0) * elapsed)
        for k, v in own_cpu(platform).items()
    }
    confirms = figures["count"] / 2 or 1
    figures["cpu_ms_per_confirm"] = round(sum(spent.values()) * 1000 / confirms, 2)
    figures["cpu_ms_per_confirm_by_process"] = {
        k: round(v * 1000 / confirms, 2) for k, v in sorted(spent.items()) if v > 0
    }
    figures["idle_cores"] = round(sum(idle.values()), 3)
    return figures


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


async def tracing_overhead(env: BenchEnv) -> dict[str, Any]:
    """The same closed loop with tracing off and on (sampled as in production), in turns.

    Tracing on is a second platform on the same servers, every process exporting its sampled
    spans to files. Each platform's customers buy once first (their welcome chain ends), so
    both then measure repeat purchases. Each turn runs both, off first in one turn and on first
    in the next, so both see the same machine; the ratio is taken per turn, then its median.
    """
    load_before = load_average()
    off = await env.platform()
    traces = env.workdir / "traces"
    on = await env.stack.enter_async_context(
        running_platform(await env.infra(), tracing_env(traces, TRACING_SAMPLE_RATE))
    )
    platforms = {"off": off, "on": on}
    turns: list[dict[str, dict[str, Any]]] = []
    connector = aiohttp.TCPConnector(limit=400)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
        tills = {}
        for name, platform in platforms.items():
            customers, keys = await asyncio.gather(
                _customers(platform, TRACING_CUSTOMERS), _keys(platform)
            )
            tills[name] = Till(client, platform.till_door, keys, customers)
            await tills[name].closed_loop(TRACING_SECONDS)
        await own_settled([off, on])
        for turn in range(TRACING_TURNS):
            order = ["off", "on"] if turn % 2 == 0 else ["on", "off"]
            done = {}
            for name in order:
                other = platforms["on" if name == "off" else "off"]
                done[name] = await own_measured(platforms[name], tills[name], [other])
            turns.append(done)
    return {
        "sample_rate": TRACING_SAMPLE_RATE,
        "turns": TRACING_TURNS,
        "loop_seconds": TRACING_SECONDS,
        "load_average_before_after": [load_before, load_average()],
        **tracing_figures(turns),
        "spans_exported": sum(1 for path in traces.glob("*.jsonl") for _ in path.open()),
        "target": "CPU per confirm with tracing on within 10 % of off (median ratio <= 1.1)",
    }


def tracing_figures(turns: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Medians of the turns: CPU per confirm and its ratio on/off with its spread."""
    ratios = sorted(t["on"]["cpu_ms_per_confirm"] / t["off"]["cpu_ms_per_confirm"] for t in turns)
    figures: dict[str, Any] = {}
    for name in ("off", "on"):
        rounds = [t[name] for t in turns]
        figures[f"tracing_{name}"] = {
            "cpu_ms_per_confirm_median": statistics.median(r["cpu_ms_per_confirm"] for r in rounds),
            "cpu_ms_per_confirm": [r["cpu_ms_per_confirm"] for r in rounds],
            "cpu_ms_per_confirm_by_process_median": {
                k: round(
                    statistics.median(
                        r["cpu_ms_per_confirm_by_process"].get(k, 0.0) for r in rounds
                    ),
                    2,
                )
                for k in rounds[0]["cpu_ms_per_confirm_by_process"]
            },
            "confirms_per_second_median": statistics.median(
                r["requests_per_second"] / 2 for r in rounds
            ),
            "p50_ms": [r["p50_ms"] for r in rounds],
            "p99_ms": [r["p99_ms"] for r in rounds],
            "errors": sum(r["errors"] for r in rounds),
            "idle_cores": [r["idle_cores"] for r in rounds],
        }
    figures["cpu_per_confirm_ratio_on_to_off"] = {
        "median": round(statistics.median(ratios), 3),
        "min": round(ratios[0], 3),
        "max": round(ratios[-1], 3),
        "turns": [round(r, 3) for r in ratios],
    }
    return figures


@contextlib.asynccontextmanager
async def platform_and_till(env: BenchEnv) -> AsyncIterator[tuple[Platform, Till]]:
    """The platform, with its customers and POS keys, and the tills' client on its door."""
    platform = await env.platform()
    customers, keys = await asyncio.gather(_customers(platform), _keys(platform))
    connector = aiohttp.TCPConnector(limit=400)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
        yield platform, Till(client, platform.till_door, keys, customers)


async def run_tracing(env: BenchEnv) -> dict[str, Any]:
    """`make bench BENCH=pos_tracing`: the tracing phase alone."""
    return await tracing_overhead(env)


async def run_fast_routes(env: BenchEnv) -> dict[str, Any]:
    """`make bench BENCH=pos_fast_routes`: the fast routes' phase alone."""
    async with platform_and_till(env) as (platform, till):
        await till.closed_loop(SECONDS)  # every first purchase
        await settled()
        return await fast_routes(platform, till)


async def run_one_hop(env: BenchEnv) -> dict[str, Any]:
    """`make bench BENCH=pos_one_hop`: the till alone through the gateway's two hops and
    through the till's door, in turns (not part of the full run)."""
    async with platform_and_till(env) as (platform, till):
        await till.closed_loop(SECONDS)  # every first purchase
        await settled()
        return await one_hop(platform, till)


async def run(env: BenchEnv) -> dict[str, Any]:
    async with platform_and_till(env) as (platform, till):
        await open_loop(till.calculate, 50, 2)  # warm-up
        busy_before = await settled()
        # The database alone, first and again after the loops: the machine's speed drifts
        # within a run, and a baseline taken once would carry the drift into every ratio.
        pgbench_first = await pgbench_baseline(await env.infra())
        await settled()
        # First the capacity, on a quiet system; an overloaded open loop leaves a backlog.
        most = await measured(till.closed_loop(SECONDS), pairs=True)
        await settled()
        # Every customer has bought by now: the first purchases above also ended each one's
        # welcome chain (a workflow, analytics, Temporal), a cost a customer pays once.
        repeat = await measured(till.closed_loop(SECONDS), pairs=True)
        await settled()
        calculate = await measured(open_loop(till.calculate, RATE, SECONDS))
        memory = [rss_mb(platform, await env.infra())]
        await settled()
        # A reserve and its confirm are two requests: RATE requests per second in all.
        pairs = open_loop(till.reserve_confirm, RATE / 2, SECONDS)
        reserve_confirm = await measured(pairs, pairs=True)
        memory.append(rss_mb(platform, await env.infra()))
        await settled()
        shedding = await overload(till, repeat["answered_2xx_per_second"] / 2)
        memory.append(rss_mb(platform, await env.infra()))
        await settled()
        alone = await till_alone(platform, till)
        with_and_without_fast_routes = await fast_routes(platform, till)
    print({"calculate": calculate, "reserve_confirm": reserve_confirm, "closed": most}, flush=True)
    repeat_per_second = repeat["answered_2xx_per_second"] / 2
    baseline = both_baselines(pgbench_first, await pgbench_baseline(await env.infra()))
    bare = await bare_till_baseline(await env.infra(), env.workdir)
    confirms_per_second = most["answered_2xx_per_second"] / 2
    alone_per_second = alone["answered_2xx_per_second"] / 2
    return {
        "machine_cores_busy_before": busy_before,
        "calculate_at_200_rps": calculate,
        "reserve_confirm_at_200_rps": reserve_confirm,
        "reserve_confirm_at_twice_the_capacity": shedding,
        "rss_under_load": most_rss(memory),
        "reserve_confirm_closed_loop": {**most, "confirms_per_second": confirms_per_second},
        "reserve_confirm_closed_loop_repeat_customers": {
            **repeat,
            "confirms_per_second": repeat_per_second,
        },
        "reserve_confirm_closed_loop_till_alone": {
            **alone,
            "confirms_per_second": alone_per_second,
        },
        "pgbench_same_writes": baseline,
        "bare_python_till_same_writes": bare,
        "confirm_throughput_ratio_to_pgbench": round(confirms_per_second / baseline["tps"], 3),
        "repeat_customers_ratio_to_pgbench": round(repeat_per_second / baseline["tps"], 3),
        "till_alone_ratio_to_pgbench": round(alone_per_second / baseline["tps"], 3),
        "bare_python_till_ratio_to_pgbench": round(
            bare["confirms_per_second"] / baseline["tps"], 3
        ),
        "targets": "p99 <= 50 ms at 200 rps; ratio >= 0.3",
        "fast_routes": with_and_without_fast_routes,
        "tracing": await tracing_overhead(env),
    }
