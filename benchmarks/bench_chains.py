"""Chains on the Temporal dev server.

- Enrollments per second: the orchestrator's own enroll (re-entry check, signal-with-start of
  ChainWorkflow with its pinned definition, the enrollment row and its outbox event) until the
  first step of each enrollment ran (its first timer is in the history), beside a no-op
  workflow started and completed on the same server and worker. Both at the same concurrency,
  after a warm-up of each, in interleaved rounds (the order alternating) so the machine's load
  falls on both alike; the figures are medians over the rounds and the ratio is the median of
  the per-round ratios. Both wait for their end the same way: a long poll on the history.
- Purchase to chain closed: the purchase signal until the workflow returned (exit recorded in
  PostgreSQL by the real activity), p50 and p99.
"""

import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
from harness import BenchEnv, latency_summary
from noop_workflow import Noop
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

from kit.clock import utcnow
from kit.db import SessionFactory, create_engine, session_factory, unit_of_work
from kit.migrations import upgrade_async
from kit.temporal import connect_temporal
from orchestrator.activities import ChainActivities
from orchestrator.definitions.model import ChainDefinition
from orchestrator.enrollments import Runtime, enroll
from orchestrator.workflows import chain_workflow_id
from orchestrator.workflows.chain import ChainWorkflow
from orchestrator.workflows.messages import CustomerEventV1, PurchaseSignalV1

ROUNDS = 5
PER_ROUND = 100
WARM_UP = 40
CONCURRENCY = 20
# Latency is measured on a sample at low concurrency, so it is not queueing behind itself.
PURCHASES = 100
PURCHASE_CONCURRENCY = 4
CHAIN = ChainDefinition.model_validate(
    {
        "id": "bench",
        "name": "bench",
        "trigger": {"kind": "event", "event": "cart.updated"},
        "audience": {"reentry": "after_exit"},
        "steps": [
            {"kind": "wait", "id": "hold", "wait": {"type": "duration", "duration": "P30D"}},
            {"kind": "exit", "id": "done"},
        ],
    }
)


async def bounded(
    count: int, one: Callable[[int], Awaitable[None]], concurrency: int = CONCURRENCY
) -> float:
    """Runs `one(i)` for every i with at most `concurrency` at a time; the seconds it took."""
    limit = asyncio.Semaphore(concurrency)

    async def guarded(i: int) -> None:
        async with limit:
            await one(i)

    started = time.perf_counter()
    await asyncio.gather(*(guarded(i) for i in range(count)))
    return time.perf_counter() - started


async def noop_rate(client: Client, queue: str, count: int) -> float:
    async def one(_: int) -> None:
        await client.execute_workflow(Noop.run, id=f"noop-{uuid.uuid4()}", task_queue=queue)

    return count / await bounded(count, one)


async def until_first_timer(client: Client, workflow_id: str) -> None:
    """Long-polls the history until the first step armed its timer: no query to the worker."""
    handle = client.get_workflow_handle(workflow_id)
    async for event in handle.fetch_history_events(wait_new_event=True):
        if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            return


async def enrollment_rate(
    runtime: Runtime, sessions: SessionFactory, customers: list[str]
) -> float:
    async def one(i: int) -> None:
        event = CustomerEventV1(event_id=str(uuid.uuid4()), event_type="cart.updated")
        async with unit_of_work(sessions) as session:
            await enroll(session, runtime, CHAIN, 1, customers[i], event)
        await until_first_timer(runtime.temporal, chain_workflow_id(CHAIN.id, customers[i]))

    return len(customers) / await bounded(len(customers), one)


async def rounds(
    client: Client, runtime: Runtime, sessions: SessionFactory, customers: list[str]
) -> tuple[list[float], list[float]]:
    """Interleaved rounds, the order alternating; each enrollment round has new customers."""
    noops: list[float] = []
    enrolled: list[float] = []
    for n in range(ROUNDS):
        batch = customers[n * PER_ROUND : (n + 1) * PER_ROUND]
        if n % 2:
            enrolled.append(await enrollment_rate(runtime, sessions, batch))
            noops.append(await noop_rate(client, runtime.task_queue, PER_ROUND))
        else:
            noops.append(await noop_rate(client, runtime.task_queue, PER_ROUND))
            enrolled.append(await enrollment_rate(runtime, sessions, batch))
    return noops, enrolled


async def purchase_latencies(client: Client, customers: list[str]) -> list[float]:
    latencies: list[float] = []

    async def one(i: int) -> None:
        handle = client.get_workflow_handle(chain_workflow_id(CHAIN.id, customers[i]))
        signal = PurchaseSignalV1(purchase_id=str(uuid.uuid4()), occurred_at=utcnow())
        started = time.perf_counter()
        await handle.signal("purchase", signal)
        await handle.result()
        latencies.append(time.perf_counter() - started)

    await bounded(len(customers), one, PURCHASE_CONCURRENCY)
    return latencies


async def cancel_the_rest(client: Client, customers: list[str]) -> None:
    async def one(i: int) -> None:
        handle = client.get_workflow_handle(chain_workflow_id(CHAIN.id, customers[i]))
        await handle.signal("cancel")
        await handle.result()

    await bounded(len(customers), one)


async def run(env: BenchEnv) -> dict[str, Any]:
    infra = await env.infra()
    database = await infra.create_database(f"bench_chains_{uuid.uuid4().hex[:8]}")
    await upgrade_async("orchestrator:migrations", database)
    engine = create_engine(database)
    client = await connect_temporal(infra.temporal_address)
    queue = f"bench-chains-{uuid.uuid4().hex[:8]}"
    sessions = session_factory(engine)
    customers = [str(uuid.uuid4()) for _ in range(WARM_UP + ROUNDS * PER_ROUND)]
    runtime = Runtime(client, queue)
    async with httpx.AsyncClient(base_url="http://127.0.0.1:9") as nowhere:
        activities = ChainActivities(nowhere, nowhere, nowhere, sessions)
        worker = Worker(
            client,
            task_queue=queue,
            workflows=[ChainWorkflow, Noop],
            activities=[activities.record_step, activities.record_exit],
            graceful_shutdown_timeout=timedelta(seconds=5),
        )
        async with worker:
            await noop_rate(client, queue, WARM_UP)  # warm the server, the worker, the pool
            await enrollment_rate(runtime, sessions, customers[:WARM_UP])
            noops, enrolled = await rounds(client, runtime, sessions, customers[WARM_UP:])
            latencies = await purchase_latencies(client, customers[:PURCHASES])
            await cancel_the_rest(client, customers[PURCHASES:])
    await engine.dispose()
    ratios = [e / n for e, n in zip(enrolled, noops, strict=True)]
    return {
        "rounds": ROUNDS,
        "per_round": PER_ROUND,
        "concurrency": CONCURRENCY,
        "noop_workflows_per_second": round(statistics.median(noops), 1),
        "enrollments_per_second": round(statistics.median(enrolled), 1),
        "enrollment_to_noop_ratio": round(statistics.median(ratios), 3),
        "ratio_per_round": [round(r, 3) for r in ratios],
        "purchase_to_chain_closed": latency_summary(latencies),
        "load_average_1m": round(os.getloadavg()[0], 1),
    }
