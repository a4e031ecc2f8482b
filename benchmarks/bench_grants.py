"""Bulk grant of points to 1 000 000 members in one request, timed (target: 60 s or less).

The loyalty API runs in process on its own PostgreSQL database of the benchmark's servers,
so the million `bonus.granted` events it stores in its outbox are not relayed during the run.
The baseline is PostgreSQL alone inserting the same million lots with one INSERT ... SELECT.

Then the scheduled work at that scale: a second campaign for everyone, usable from tomorrow,
and the ledger sweep run as of tomorrow (a million activations to journal, two million lots
burning within the notice period), then once more, which must find nothing left to do.
"""

import time
import uuid
from dataclasses import asdict
from datetime import timedelta

import asyncpg
import httpx
from harness import BenchEnv, Stopwatch

from kit.clock import utcnow
from kit.migrations import upgrade_async
from kit.stack import Infra
from kit.testing import app_client
from loyalty.app import create_app
from loyalty.expiry import sweep
from loyalty.settings import LoyaltySettings

MEMBERS = 1_000_000


async def _seed_members(infra: Infra, database: str) -> list[str]:
    conn = await asyncpg.connect(
        host="127.0.0.1", port=infra.postgres_port, user="postgres", database=database
    )
    try:
        await conn.execute(
            """
            INSERT INTO members (id, email, time_zone, consents, created_at)
            SELECT gen_random_uuid()::text, 'bench' || i || '@example.com', 'UTC', '{}', now()
            FROM generate_series(1, $1) AS i
            """,
            MEMBERS,
        )
        rows = await conn.fetch("SELECT id FROM members")
        return [row["id"] for row in rows]
    finally:
        await conn.close()


async def _baseline(infra: Infra, database: str) -> float:
    """The same lots written by PostgreSQL alone, in a scratch copy of the table."""
    conn = await asyncpg.connect(
        host="127.0.0.1", port=infra.postgres_port, user="postgres", database=database
    )
    try:
        await conn.execute("CREATE TABLE lots_baseline (LIKE lots INCLUDING ALL)")
        started = time.perf_counter()
        await conn.execute(
            """
            INSERT INTO lots_baseline (id, member_id, source, initial, remaining, reserved,
                                       active_from, expires_at, created_at)
            SELECT 'baseline-' || lpad(to_hex(row_number() OVER ()), 12, '0'), id, 'campaign',
                   100, 100, 0, now(), now() + interval '3 days', now()
            FROM members
            """
        )
        return time.perf_counter() - started
    finally:
        await conn.close()


async def run(env: BenchEnv) -> dict[str, object]:
    infra = await env.infra()
    database = f"bench_grants_{uuid.uuid4().hex[:8]}"
    url = await infra.create_database(database)
    await upgrade_async("loyalty:migrations", url)
    member_ids = await _seed_members(infra, database)
    settings = LoyaltySettings(
        database_url=url,
        nats_url=infra.nats_url,
        redis_url=infra.redis_url,
        temporal_address=infra.temporal_address,
        event_namespace=f"bench{uuid.uuid4().hex[:6]}",
    )
    body = {
        "idempotency_key": uuid.uuid4().hex,
        "member_ids": member_ids,
        "amount": 100,
        "lifetime_days": 3,
        "source": "campaign",
        "reference": "bench",
        "restrictions": {"store_channels": ["offline"]},
    }
    app = create_app(settings)
    async with app_client(app) as client:
        client.timeout = httpx.Timeout(600)
        started = time.perf_counter()
        response = await client.post("/grants/bulk", json=body)
        seconds = time.perf_counter() - started
        assert response.status_code == 201, response.text[:500]
        tomorrow = utcnow() + timedelta(days=1)
        later = {"idempotency_key": uuid.uuid4().hex, "active_from": tomorrow.isoformat()}
        delayed = await client.post("/grants/bulk", json={**body, **later})
        assert delayed.status_code == 201, delayed.text[:500]
        sweeps = []
        for _ in range(2):
            with Stopwatch() as watch:
                done = await sweep(app.state.resources.sessions, settings.program_rules(), tomorrow)
            sweeps.append({**asdict(done), "seconds": round(watch.seconds, 2)})
    baseline = await _baseline(infra, database)
    return {
        "members": MEMBERS,
        "granted": response.json()["granted"],
        "bulk_grant_seconds": round(seconds, 2),
        "target_seconds": 60,
        "baseline_insert_select_lots_only_seconds": round(baseline, 2),
        "ratio_to_baseline": round(seconds / baseline, 2),
        "writes": "1M lots + 1M journal entries + 1M outbox events, one transaction",
        "sweep_as_of_tomorrow": sweeps[0],
        "sweep_again": sweeps[1],
    }
