"""Chains on the Temporal dev server.

- Enrollments per second: the orchestrator's own enroll (re-entry check, signal-with-start of
  ChainWorkflow with its pinned definition, the enrollment row and its outbox event) until the
  first step of each enrollment ran (its first wait is armed), beside a no-op workflow started
  and completed on the same server and worker, at the same concurrency.
- Purchase to chain closed: the purchase signal until the workflow returned (exit recorded in
  PostgreSQL by the real activity), p50 and p99.
"""

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
from harness import BenchEnv, latency_summary
from noop_workflow import Noop
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
from orchestrator.workflows.messages import ChainStatus, CustomerEventV1, PurchaseSignalV1

ENROLLMENTS = 300
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


async def noop_rate(client: Client, queue: str) -> float:
    async def one(_: int) -> None:
        await client.execute_workflow(Noop.run, id=f"noop-{uuid.uuid4()}", task_queue=queue)

    return ENROLLMENTS / await bounded(ENROLLMENTS, one)


async def enrollment_rate(
    runtime: Runtime, sessions: SessionFactory, customers: list[str]
) -> float:
    async def one(i: int) -> None:
        event = CustomerEventV1(event_id=str(uuid.uuid4()), event_type="cart.updated")
        async with unit_of_work(sessions) as session:
            await enroll(session, runtime, CHAIN, 1, customers[i], event)
        handle = runtime.temporal.get_workflow_handle(chain_workflow_id(CHAIN.id, customers[i]))
        step = ""
        while step != "hold":  # a query is answered once the first workflow task ran
            step = (await handle.query("status", result_type=ChainStatus)).step

    return ENROLLMENTS / await bounded(ENROLLMENTS, one)


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
    customers = [str(uuid.uuid4()) for _ in range(ENROLLMENTS)]
    async with httpx.AsyncClient(base_url="http://127.0.0.1:9") as nowhere:
        activities = ChainActivities(nowhere, nowhere, nowhere, sessions)
        worker = Worker(
            client,
            task_queue=queue,
            workflows=[ChainWorkflow, Noop],
            activities=[activities.record_exit],
            graceful_shutdown_timeout=timedelta(seconds=5),
        )
        async with worker:
            await noop_rate(client, queue)  # warm up the server and the worker
            baseline = await noop_rate(client, queue)
            enrollments = await enrollment_rate(Runtime(client, queue), sessions, customers)
            latencies = await purchase_latencies(client, customers[:PURCHASES])
            await cancel_the_rest(client, customers[PURCHASES:])
    await engine.dispose()
    return {
        "enrollments": ENROLLMENTS,
        "concurrency": CONCURRENCY,
        "noop_workflows_per_second": round(baseline, 1),
        "enrollments_per_second": round(enrollments, 1),
        "enrollment_to_noop_ratio": round(enrollments / baseline, 3),
        "purchase_to_chain_closed": latency_summary(latencies),
        "load_average_1m": round(os.getloadavg()[0], 1),
    }
