"""Deliveries the worker does not keep in memory: each goes on from its history when it wakes,
and nothing is sent twice (NOTIFIER_WORKFLOW_CACHE, docs/operations.md)."""

import asyncio
import random
from functools import partial

from temporalio.runtime import MetricBuffer, Runtime, TelemetryConfig

from kit.stack import Infra
from kit.testing import unique, wait_for
from tests.notifier.conftest import Notifier, Sinks, dev_server_notifier

DELIVERIES = 6
CACHE = 2
# Long enough that no delivery ends before the last has started, on a busy machine too: each
# new one then takes the room of one that waits.
WINDOW_SECONDS = 20


async def _customer(notifier: Notifier) -> tuple[str, str, str]:
    email, phone = f"{unique('c')}@example.com", f"+49151{random.randrange(10**8):08d}"
    consents = {"email": True, "sms": True}
    customer = await notifier.contact(email=email, phone=phone, consents=consents)
    return customer, email, phone


def _evictions(metrics: MetricBuffer) -> int:
    """Workflows the worker let go from memory to make room for others, so far."""
    return sum(
        int(update.value)
        for update in metrics.retrieve_updates()
        if update.metric.name == "temporal_sticky_cache_total_forced_eviction"
    )


async def test_deliveries_let_go_from_memory_go_on_from_their_history(
    infra: Infra, notifier_db: str, sinks: Sinks
) -> None:
    """On the dev server in real time: the time-skipping server has no sticky queues, so its
    workers keep nothing in memory between tasks."""
    metrics = MetricBuffer(10_000)
    runtime = Runtime(telemetry=TelemetryConfig(metrics=metrics))
    live = dev_server_notifier(infra, notifier_db, sinks, runtime, workflow_cache=CACHE)
    async with live as notifier:
        await notifier.template("offer", "email", "Hello {{ name }}", subject="Offer")
        await notifier.template("offer", "sms", "{{ name }}: 20% off today")
        customers = [await _customer(notifier) for _ in range(DELIVERIES)]
        rule = {"template": "offer", "channels": ["email", "sms"], "critical": True}
        rule["reaction_window_seconds"] = WINDOW_SECONDS
        deliveries = [await notifier.deliver(customer_id=c, **rule) for c, _, _ in customers]
        for _, email, _ in customers:
            await wait_for(partial(notifier.mail_to, email), "every email")

        results = await asyncio.gather(
            *(notifier.handle(d["idempotency_key"]).result() for d in deliveries)
        )
        assert [(r.status, r.channel) for r in results] == [("sent", "sms")] * DELIVERIES
        for _, email, phone in customers:
            assert len(await notifier.mail_to(email)) == 1
            assert len(await notifier.provider_requests(phone)) == 1
        evicted = _evictions(metrics)
        assert evicted >= DELIVERIES - CACHE
