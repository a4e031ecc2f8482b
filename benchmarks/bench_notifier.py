"""The notifier's careful-communication policy and its send pipeline.

- Policy decisions per second: ``PolicyStore.decide``, the call the ``decide`` activity makes,
  with a Redis client configured as the service's (``kit.resources``), from 50 concurrent
  callers (as 50 concurrent decide activities in one worker), each decision one EVALSHA of the
  cap-and-pause script with its own decision key; from one process and from two (two worker
  replicas). Concurrent decisions leave pipelined, on at most ``CONNECTIONS`` connections.
  Baseline: ``redis-benchmark`` running the same EVALSHA (same script, same number of keys and
  arguments, every call a new decision) on the same Redis with 50 clients, unpipelined.
  Target: >= 20 000 decisions/s and >= 50 % of the baseline.
- Send pipeline, messages per second: ``DeliveryWorkflow`` end to end on the Temporal dev server
  (open, policy decision in Redis, render, provider, status, outbox) into the SMTP sink and the
  HTTP provider sink, on the service's worker (``notifier.worker.delivery_worker``), beside raw
  sends into the same sinks (aiosmtplib and httpx alone) and beside as many empty workflows on
  the same server: a durable delivery cannot go faster than the server runs workflows, so the
  noop rate is the ceiling that matters, the raw rate only a scale.
"""

import asyncio
import shutil
import subprocess
import sys
import time
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
from harness import BenchEnv
from noop_workflow import Noop
from redis.asyncio import Redis
from temporalio.worker import Worker

from kit.db import create_engine, session_factory, unit_of_work
from kit.migrations import upgrade_async
from kit.stack import ProcessGroup, free_port, provider_sink_proc, smtp_sink_proc
from kit.temporal import connect_temporal
from notifier import service
from notifier.activities import DeliveryActivities
from notifier.policy_store import (
    CONNECTIONS,
    DECIDE,
    KEY_LIFETIME_SECONDS,
    LAST_SEND_SECONDS,
    PolicyStore,
    Seed,
)
from notifier.providers import open_providers, provider_client
from notifier.schemas import ContactIn
from notifier.settings import NotifierSettings
from notifier.worker import delivery_worker
from notifier.workflows import delivery_workflow_id
from notifier.workflows.messages import DeliveryRequest, DeliveryResult

DECISIONS = 40_000
CONCURRENCY = 50
CUSTOMERS = 10_000
MESSAGES = 100
AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


async def run(env: BenchEnv) -> dict[str, Any]:
    infra = await env.infra()
    policy = await _policy(infra.redis_url, infra.redis_port)
    pipeline = await _pipeline(env)
    return {"policy": policy, "send_pipeline": pipeline}


# --- policy decisions ---------------------------------------------------------------------


async def unsent() -> Seed:
    """The bench's customers are new: nothing was sent to them before it."""
    return Seed(count=0, last=-1)


async def _decisions(redis_url: str, count: int, tag: str) -> float:
    redis = Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    store = PolicyStore(redis, prefix=f"bench{tag}")
    tag = f"{tag}-{uuid.uuid4().hex[:8]}"  # every run's decisions are new ones
    await store.decide("warm", "d", AT, 10**9, 0, False, decision_key=f"{tag}-warm", seed=unsent)
    queue = iter(range(count))

    async def caller() -> None:
        for i in queue:
            key = f"{tag}-{i}"
            customer = str(i % CUSTOMERS)
            await store.decide(customer, "d", AT, 10**9, 0, False, decision_key=key, seed=unsent)

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    await redis.aclose()
    return count / elapsed


async def _two_replicas(redis_url: str) -> float:
    """Two processes, as two worker replicas would decide side by side."""
    argv = [sys.executable, str(Path(__file__)), "--replica", redis_url, str(DECISIONS // 2)]
    procs = [
        await asyncio.create_subprocess_exec(*argv, f"r{i}", stdout=subprocess.PIPE)
        for i in range(2)
    ]
    outputs = await asyncio.gather(*(proc.communicate() for proc in procs))
    return sum(float(out.decode().strip().splitlines()[-1]) for out, _ in outputs)


async def _redis_benchmark(redis_url: str, port: int) -> float | None:
    binary = shutil.which("redis-benchmark")
    if binary is None:
        return None
    redis = Redis.from_url(redis_url)
    sha = await redis.script_load(DECIDE)
    await redis.aclose()
    # Each __rand_int__ is drawn on its own: every call is a new decision, as in ours.
    tag = "rb:{__rand_int__}"
    keys = [f"{tag}:day", f"{tag}:last", f"{tag}:decision:__rand_int__-__rand_int__"]
    argv = [binary, "-h", "127.0.0.1", "-p", str(port), "-c", str(CONCURRENCY)]
    argv += ["-n", str(DECISIONS), "-r", str(CUSTOMERS), "--csv", "evalsha", sha, "3", *keys]
    # Our ARGV in full: now, cap, pause, key lifetime, not critical, then the seed (nothing sent
    # before: count 0, no last send) and how long a last send is remembered.
    argv += [str(int(AT.timestamp())), str(10**9), "0", str(KEY_LIFETIME_SECONDS), "0"]
    argv += ["0", "-1", str(LAST_SEND_SECONDS)]
    done = await asyncio.to_thread(subprocess.run, argv, capture_output=True, text=True)
    row = [line for line in done.stdout.splitlines() if line.startswith('"evalsha')]
    return float(row[0].split(",")[1].strip('"')) if row else None


async def _policy(redis_url: str, port: int) -> dict[str, Any]:
    single, baseline = [], []
    for _ in range(3):  # interleaved, so a change in the machine's load touches both
        single.append(await _decisions(redis_url, DECISIONS, "s"))
        baseline.append(await _redis_benchmark(redis_url, port))
    replicas = await _two_replicas(redis_url)
    base = sorted(b for b in baseline if b)[len(baseline) // 2] if all(baseline) else None
    one = sorted(single)[1]
    return {
        "decisions": DECISIONS,
        "concurrency": CONCURRENCY,
        "connections_per_process": CONNECTIONS,
        "decisions_per_s_one_process_median": round(one),
        "decisions_per_s_two_processes": round(replicas),
        "redis_benchmark_evalsha_per_s_median": round(base) if base else None,
        "ratio_one_process": round(one / base, 3) if base else None,
        "ratio_two_processes": round(replicas / base, 3) if base else None,
    }


# --- the send pipeline --------------------------------------------------------------------


async def _pipeline(env: BenchEnv) -> dict[str, Any]:
    infra = await env.infra()
    group = ProcessGroup(env.workdir / "notifier-sinks")
    smtp, smtp_http, provider = free_port(), free_port(), free_port()
    group.start_all_and_wait(
        [smtp_sink_proc(smtp, smtp_http, env.workdir / "mail"), provider_sink_proc(provider)]
    )
    try:
        database = await infra.create_database(f"bench_notifier_{uuid.uuid4().hex[:8]}")
        await upgrade_async("notifier:migrations", database)
        settings = NotifierSettings(
            database_url=database,
            redis_url=infra.redis_url,
            temporal_address=infra.temporal_address,
            task_queue=f"bench-notifier-{uuid.uuid4().hex[:6]}",
            smtp_port=smtp,
            provider_url=f"http://127.0.0.1:{provider}",
            callback_url=f"http://127.0.0.1:{free_port()}/callbacks/provider",
        )
        raw = await _raw_sends(settings)
        noop = await _noop_workflows(settings)
        workflow = await _workflow_sends(settings)
    finally:
        group.stop_all()
    return {
        "messages": MESSAGES,
        "workflow_messages_per_s": round(workflow, 1),
        "raw_sink_messages_per_s": round(raw, 1),
        "ratio": round(workflow / raw, 3),
        "temporal_noop_workflows_per_s": round(noop, 1),
        "ratio_to_noop_workflows": round(workflow / noop, 3),
    }


async def _noop_workflows(settings: NotifierSettings) -> float:
    """The server's floor: as many empty workflows, started at once, on the same server."""
    temporal = await connect_temporal(settings.temporal_address)
    queue = f"bench-noop-{uuid.uuid4().hex[:6]}"
    async with Worker(temporal, task_queue=queue, workflows=[Noop]):
        started = time.perf_counter()
        handles = await asyncio.gather(
            *(
                temporal.start_workflow(Noop.run, id=f"noop-{uuid.uuid4()}", task_queue=queue)
                for _ in range(MESSAGES)
            )
        )
        await asyncio.gather(*(handle.result() for handle in handles))
        return MESSAGES / (time.perf_counter() - started)


async def _raw_sends(settings: NotifierSettings) -> float:
    limit = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(base_url=settings.provider_url) as client:

        async def one(i: int) -> None:
            async with limit:
                if i % 2:
                    await client.post("/sms/messages", json={"id": f"raw-{i}", "to": "+49151"})
                    return
                message = EmailMessage()
                message["From"], message["To"], message["Subject"] = "a@x.io", "b@x.io", "raw"
                message.set_content("raw")
                await aiosmtplib.send(message, hostname="127.0.0.1", port=settings.smtp_port)

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(MESSAGES)))
        return MESSAGES / (time.perf_counter() - started)


async def _workflow_sends(settings: NotifierSettings) -> float:
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    customers = await _contacts(sessions)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(engine.dispose)
        redis = Redis.from_url(settings.redis_url)
        stack.push_async_callback(redis.aclose)
        client = await stack.enter_async_context(provider_client(settings))
        temporal = await connect_temporal(settings.temporal_address)
        activities = DeliveryActivities(
            sessions, PolicyStore(redis), open_providers(settings, client), settings
        )
        await stack.enter_async_context(delivery_worker(temporal, settings, activities))
        started = time.perf_counter()
        handles = await asyncio.gather(
            *(_start(temporal, settings, customer, i) for i, customer in enumerate(customers))
        )
        results = await asyncio.gather(*(handle.result() for handle in handles))
        elapsed = time.perf_counter() - started
    assert all(r.status == "sent" for r in results), {r.status for r in results}
    return MESSAGES / elapsed


async def _contacts(sessions: Any) -> list[str]:
    customers = [str(uuid.uuid4()) for _ in range(MESSAGES)]
    async with unit_of_work(sessions) as session:
        for i, customer in enumerate(customers):
            body = ContactIn(
                name="Bench",
                email=f"{customer}@bench.example",
                phone="+4915112345678",
                consents={"email": True, "sms": True},
            )
            await service.upsert_contact(session, customer, body)
            assert i >= 0
    return customers


async def _start(temporal: Any, settings: NotifierSettings, customer: str, i: int) -> Any:
    request = DeliveryRequest(
        idempotency_key=f"bench/{customer}",
        customer_id=customer,
        template="welcome",
        source="campaign:bench:1",
        channel="sms" if i % 2 else "email",
    )
    return await temporal.start_workflow(
        "DeliveryWorkflow",
        request,
        id=delivery_workflow_id(request.idempotency_key),
        task_queue=settings.task_queue,
        result_type=DeliveryResult,
    )


if __name__ == "__main__" and sys.argv[1:2] == ["--replica"]:
    print(asyncio.run(_decisions(sys.argv[2], int(sys.argv[3]), sys.argv[4])))
