"""The till's hot path through the gateway: calculate, and reserve + confirm.

Open-loop load at a fixed rate (latency counted from each request's scheduled start, so a
slow server is not hidden by a waiting generator), then a closed loop for the most confirms
per second: first with fresh customers (each first purchase also ends the customer's welcome
chain), then again once every customer has bought (the ratio target is taken from the first,
the second is reported beside it). The baseline is pgbench running the same writes as one
reserve + confirm (member row lock, lot updates, operations, journal, purchase, allocation,
accrual lot, outbox) on the same PostgreSQL. Targets on the 2-core machine: p99 <= 50 ms at
200 rps; confirms >= 30 % of the baseline.
"""

import asyncio
import itertools
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx
from harness import BenchEnv, cpu_between, cpu_by_group, latency_summary, settled

from kit.migrations import upgrade_async
from kit.stack import Infra, Platform, postgres_bin

RATE = 200  # requests per second
SECONDS = 8
CUSTOMERS = 200
KEYS = 10  # the gateway allows each key 50 requests per second
CONCURRENCY = 16
LINES = [{"sku": "SOFA", "category": "sofas", "quantity": 1, "price": 30_000}]

Call = Callable[[int], Awaitable[list[tuple[float, int]]]]


async def _customers(platform: Platform) -> list[str]:
    async with httpx.AsyncClient(base_url=platform.service("loyalty"), timeout=60) as loyalty:
        ids = []
        for n in range(CUSTOMERS):
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
    """Many tills in one process; aiohttp, so the generator takes little of the two cores."""

    def __init__(
        self, client: aiohttp.ClientSession, base: str, keys: list[str], customers: list[str]
    ) -> None:
        self.client = client
        self.base = base
        self.keys = itertools.cycle([{"Authorization": f"Bearer {key}"} for key in keys])
        self.customers = customers

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
                await response.read()
        except (aiohttp.ClientError, TimeoutError):
            return time.perf_counter() - started, 0  # counted as an error: no answer in time
        return time.perf_counter() - started, response.status

    async def calculate(self, n: int) -> list[tuple[float, int]]:
        return [await self.post("/v1/purchases/calculate", self.receipt(n, points="max"))]

    async def reserve_confirm(self, n: int) -> list[tuple[float, int]]:
        txid = uuid.uuid4().hex
        reserved = await self.post("/v1/purchases", self.receipt(n, points=10, txid=txid))
        if reserved[1] != 201:
            return [reserved]
        return [reserved, await self.post(f"/v1/purchases/{txid}/confirm", {})]


async def open_loop(call: Call, per_second: float, seconds: float) -> dict[str, Any]:
    """Starts call(n) on schedule; each latency counts from the scheduled start."""
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
    elapsed = loop.time() - start
    return _summary(done, elapsed)


async def closed_loop(call: Call, workers: int, seconds: float) -> dict[str, Any]:
    deadline = time.perf_counter() + seconds
    done: list[tuple[float, int]] = []
    counter = itertools.count()

    async def worker() -> None:
        while time.perf_counter() < deadline:
            done.extend(await call(next(counter)))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return _summary(done, time.perf_counter() - started)


def _summary(done: list[tuple[float, int]], elapsed: float) -> dict[str, Any]:
    ok = [seconds for seconds, status in done if 200 <= status < 300]
    statuses = sorted({status for _, status in done})
    return {
        **latency_summary(ok or [0.0]),
        "errors": len(done) - len(ok),
        "statuses": statuses,
        "requests_per_second": round(len(done) / elapsed, 1),
    }


PGBENCH_SCRIPT = """
\\set m random(1, {customers})
\\set t random(1, 1000000000000000)
BEGIN;
SELECT id FROM members WHERE id = 'bench-' || :m FOR UPDATE;
UPDATE lots SET reserved = reserved + 10 WHERE id = 'lot-' || :m;
INSERT INTO operations (kind, member_id, reference, created_at)
  VALUES ('reserve', 'bench-' || :m, 'pgbench', now()) RETURNING id AS reserve_op \\gset
INSERT INTO journal (operation_id, member_id, lot_id, kind, points, held, debt, created_at)
  VALUES (:reserve_op, 'bench-' || :m, 'lot-' || :m, 'reserve', 0, 10, 0, now());
INSERT INTO purchases (txid, member_id, status, store_id, channel, lines, total_amount,
  redeemed_points, accrued_points, paid_amount, refunded_amount, fingerprints, answers,
  reserved_until, created_at)
  VALUES ('pg-' || :client_id || '-' || :t, 'bench-' || :m, 'reserved', 's1', 'offline',
  '[]', 30000, 10, 10, 29000, 0, '{{}}', '{{}}', now() + interval '15 minutes', now());
INSERT INTO allocations (txid, lot_id, line_no, points, returned)
  VALUES ('pg-' || :client_id || '-' || :t, 'lot-' || :m, 0, 10, 0);
COMMIT;
BEGIN;
SELECT id FROM members WHERE id = 'bench-' || :m FOR UPDATE;
UPDATE lots SET remaining = remaining - 10, reserved = reserved - 10 WHERE id = 'lot-' || :m;
INSERT INTO operations (kind, member_id, reference, created_at)
  VALUES ('confirm', 'bench-' || :m, 'pgbench', now()) RETURNING id AS confirm_op \\gset
INSERT INTO lots (id, member_id, source, initial, remaining, reserved, active_from, expires_at,
  created_at) VALUES (gen_random_uuid()::text, 'bench-' || :m, 'purchase', 10, 10, 0, now(),
  now() + interval '6 months', now());
INSERT INTO journal (operation_id, member_id, lot_id, kind, points, held, debt, created_at)
  VALUES (:confirm_op, 'bench-' || :m, 'lot-' || :m, 'capture', -10, -10, 0, now()),
         (:confirm_op, 'bench-' || :m, 'lot-' || :m, 'accrue', 10, 0, 0, now());
UPDATE purchases SET status = 'confirmed', confirmed_at = now()
  WHERE txid = 'pg-' || :client_id || '-' || :t;
UPDATE members SET trailing_spend = trailing_spend + 29000 WHERE id = 'bench-' || :m;
INSERT INTO outbox (event_id, subject, data, created_at) VALUES (gen_random_uuid()::text,
  'loyalty.purchase_confirmed.v1', convert_to(repeat('x', 600), 'UTF8'), now());
COMMIT;
"""


async def pgbench_baseline(infra: Infra) -> dict[str, Any]:
    database = f"bench_pos_{uuid.uuid4().hex[:8]}"
    await upgrade_async("loyalty:migrations", await infra.create_database(database))
    conn = await asyncpg.connect(
        host="127.0.0.1", port=infra.postgres_port, user="postgres", database=database
    )
    try:
        await conn.execute(
            """
            INSERT INTO members (id, time_zone, consents, created_at)
              SELECT 'bench-' || i, 'UTC', '{}', now() FROM generate_series(1, $1) AS i;
            INSERT INTO lots (id, member_id, source, initial, remaining, reserved, active_from,
                              expires_at, created_at)
              SELECT 'lot-' || i, 'bench-' || i, 'manual', 1000000000, 1000000000, 0, now(),
                     now() + interval '30 days', now() FROM generate_series(1, $1) AS i;
            """.replace("$1", str(CUSTOMERS))
        )
    finally:
        await conn.close()
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "reserve_confirm.sql"
        script.write_text(PGBENCH_SCRIPT.format(customers=CUSTOMERS))
        argv = [postgres_bin("pgbench"), "-h", "127.0.0.1", "-p", str(infra.postgres_port)]
        argv += ["-U", "postgres", "-n", "-c", str(CONCURRENCY), "-j", "2", "-T", str(SECONDS)]
        argv += ["-f", str(script), database]
        done = await asyncio.to_thread(subprocess.run, argv, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return {"tps": _tps(done.stdout), "clients": CONCURRENCY, "seconds": SECONDS}


def _tps(output: str) -> float:
    line = next(line for line in output.splitlines() if line.startswith("tps ="))
    return float(line.split()[2])


async def measured(run: Awaitable[dict[str, Any]], pairs: bool = False) -> dict[str, Any]:
    """A phase's figures and the CPU it cost, by process kind (per confirm when it confirms)."""
    before = cpu_by_group()
    figures = await run
    spent = cpu_between(before, cpu_by_group())
    figures["cpu_seconds"] = spent
    if pairs:  # a reserve and its confirm
        done = figures["count"] / 2 or 1
        figures["cpu_ms_per_confirm"] = {k: round(v * 1000 / done, 1) for k, v in spent.items()}
    return figures


async def run(env: BenchEnv) -> dict[str, Any]:
    platform = await env.platform()
    customers, keys = await asyncio.gather(_customers(platform), _keys(platform))
    connector = aiohttp.TCPConnector(limit=400)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
        till = Till(client, platform.gateway, keys, customers)
        await open_loop(till.calculate, 50, 2)  # warm-up
        busy_before = await settled()
        # First the capacity, on a quiet system; an overloaded open loop leaves a backlog.
        most = await measured(closed_loop(till.reserve_confirm, CONCURRENCY, SECONDS), pairs=True)
        await settled()
        # Every customer has bought by now: the first purchases above also ended each one's
        # welcome chain (a workflow, analytics, Temporal), a cost a customer pays once.
        repeat = await measured(closed_loop(till.reserve_confirm, CONCURRENCY, SECONDS), pairs=True)
        await settled()
        calculate = await measured(open_loop(till.calculate, RATE, SECONDS))
        await settled()
        # A reserve and its confirm are two requests: RATE requests per second in all.
        pairs = open_loop(till.reserve_confirm, RATE / 2, SECONDS)
        reserve_confirm = await measured(pairs, pairs=True)
    print({"calculate": calculate, "reserve_confirm": reserve_confirm, "closed": most}, flush=True)
    repeat_per_second = repeat["requests_per_second"] / 2
    baseline = await pgbench_baseline(await env.infra())
    confirms_per_second = most["requests_per_second"] / 2
    return {
        "machine_cores_busy_before": busy_before,
        "calculate_at_200_rps": calculate,
        "reserve_confirm_at_200_rps": reserve_confirm,
        "reserve_confirm_closed_loop": {**most, "confirms_per_second": confirms_per_second},
        "reserve_confirm_closed_loop_repeat_customers": {
            **repeat,
            "confirms_per_second": repeat_per_second,
        },
        "pgbench_same_writes": baseline,
        "confirm_throughput_ratio_to_pgbench": round(confirms_per_second / baseline["tps"], 3),
        "repeat_customers_ratio_to_pgbench": round(repeat_per_second / baseline["tps"], 3),
        "targets": "p99 <= 50 ms at 200 rps; ratio >= 0.3",
    }
