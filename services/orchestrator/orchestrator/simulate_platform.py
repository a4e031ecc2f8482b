"""The simulator on the real machinery: `python -m orchestrator.simulate --platform`.

Every service runs as its own process on PostgreSQL, NATS, Redis and the Temporal dev server
(`kit.stack`, as the end-to-end tests start them). The chain is created and published through
the orchestrator's API, each customer is a contact of the real notifier and is enrolled through
the API, so every enrollment is a real `ChainWorkflow` whose e-mail goes through the notifier's
delivery workflow to the SMTP sink and comes back as `message.sent`. Purchases, drawn from the
same model as the other modes (`simulate.population`), are real `purchase.confirmed` events on
NATS, handled by the orchestrator's own consumers: the pre-period ones before anyone enrolls,
the ones the chain may cause after. The figures are the platform's own
`GET /analytics/chains/{id}`. What it leaves out: loyalty grants nothing here (the chain only
sends), so there are no redeemed points, and time is not compressed: a customer who does not
buy is still waiting when the report is read (the report counts him as not converted).
"""

import argparse
import asyncio
import logging
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx

from kit.bus import EventBus, connect_nats
from kit.clock import utcnow
from kit.contracts.loyalty import PurchaseConfirmed
from kit.stack import Platform, running_infra, running_platform
from orchestrator.simulate import (
    HEADER,
    Customer,
    Result,
    Scenario,
    parser,
    population,
    purchased,
    result_of,
    row,
    scenario_for,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
TEMPLATE = "sim_offer"
CONCURRENCY = 8
# A loaded two-core machine: workflows, deliveries and consumers all share it.
PATIENCE = timedelta(minutes=10)


@dataclass(frozen=True)
class Endpoints:
    orchestrator: str
    notifier: str
    nats_url: str
    namespace: str

    @classmethod
    def of(cls, platform: Platform) -> "Endpoints":
        nats = platform.env["ORCHESTRATOR_NATS_URL"]
        return cls(
            platform.service("orchestrator"), platform.service("notifier"), nats, platform.namespace
        )


@asynccontextmanager
async def started_platform() -> AsyncIterator[Endpoints]:
    """Servers and every service on free ports under a temporary folder, stopped on exit."""
    with (
        tempfile.TemporaryDirectory(prefix="simulate-") as root,
        running_infra(Path(root)) as infra,
    ):
        async with running_platform(infra) as platform:
            yield Endpoints.of(platform)


async def on_platform(scenario: Scenario, at: Endpoints, chain_id: str) -> Result:
    customers = population(scenario, chain_id)
    async with (
        httpx.AsyncClient(base_url=at.orchestrator, timeout=60) as orchestrator,
        httpx.AsyncClient(base_url=at.notifier, timeout=60) as notifier,
        _bus(at) as bus,
    ):
        await _prepare_notifier(notifier, chain_id)
        await _publish_chain(orchestrator, chain_id, scenario.holdout_share)
        await _bounded([partial(_contact, notifier, c) for c in customers])
        log.info("%s: chain published, %d contacts", chain_id, len(customers))
        started = utcnow()
        history = [
            purchased(c.id, started - before, paid, [])
            for c in customers
            for before, paid in c.history
        ]
        await _publish(bus, history)
        # A purchase the orchestrator hears after the enrollment started would end it.
        await _handled(bus, "the pre-period purchases")
        log.info("%s: %d pre-period purchases handled", chain_id, len(history))
        await _bounded([partial(_enroll, orchestrator, chain_id, c) for c in customers])
        log.info("%s: %d enrolled", chain_id, len(customers))
        treated = sum(not c.holdout for c in customers)
        # The model buys after the touch: a purchase heard first would end the workflow
        # before its e-mail.
        await _report_when(orchestrator, chain_id, partial(_mailed, treated), "every e-mail")
        buyers = [c for c in customers if c.buys is not None]
        await _publish(bus, [purchased(c.id, utcnow(), c.buys or 0, []) for c in buyers])
        converted = partial(_converted, len(buyers))
        report = await _report_when(orchestrator, chain_id, converted, "every conversion")
        log.info("%s: %d e-mails, %d conversions", chain_id, treated, len(buyers))
    return result_of(scenario, customers, report)


@asynccontextmanager
async def _bus(at: Endpoints) -> AsyncIterator[EventBus]:
    nc = await connect_nats(at.nats_url, "simulate")
    bus = EventBus(nc, at.namespace)
    await bus.ensure_streams()
    try:
        yield bus
    finally:
        await nc.close()


async def _prepare_notifier(notifier: httpx.AsyncClient, chain_id: str) -> None:
    """The chain's e-mail template, and no quiet hours or cap for it: every treated customer
    gets his e-mail now, whatever the hour."""
    body = {"subject": "An offer for you", "body": "{{ name }}, this week only: 10 % off."}
    _ok(await notifier.put(f"/templates/{TEMPLATE}/email", json=body))
    policy = {"daily_cap": 100, "quiet_start": "00:00", "quiet_end": "00:00"}
    _ok(await notifier.put(f"/policies/chain:{chain_id}", json=policy))


async def _publish_chain(orchestrator: httpx.AsyncClient, chain_id: str, holdout: float) -> None:
    definition = {
        "id": chain_id,
        "name": "simulated offer",
        "trigger": {"kind": "event", "event": "cart.updated"},
        "holdout_share": holdout,
        "goal": {"event": "purchase", "attribution_window": "P14D"},
        "steps": [
            {"kind": "send", "id": "mail", "template": TEMPLATE},
            {"kind": "wait", "id": "hold", "wait": {"type": "duration", "duration": "P14D"}},
        ],
    }
    _ok(await orchestrator.post("/chains", json=definition))
    _ok(await orchestrator.post(f"/chains/{chain_id}/publish"))


async def _contact(notifier: httpx.AsyncClient, customer: Customer) -> None:
    body = {
        "name": "Sam",
        "email": f"{customer.id}@example.com",
        "time_zone": "UTC",
        "consents": {"email": True},
    }
    _ok(await notifier.put(f"/contacts/{customer.id}", json=body))


async def _enroll(orchestrator: httpx.AsyncClient, chain_id: str, customer: Customer) -> None:
    answer = await orchestrator.post(
        f"/chains/{chain_id}/enrollments", json={"customer_id": customer.id}
    )
    _ok(answer)
    if answer.json()["holdout"] != customer.holdout:
        raise RuntimeError(f"{customer.id}: the platform drew another side than the model")


async def _publish(bus: EventBus, events: list[PurchaseConfirmed]) -> None:
    for start in range(0, len(events), 100):
        await asyncio.gather(*(bus.publish(e) for e in events[start : start + 100]))


async def _handled(bus: EventBus, what: str) -> None:
    """Until the orchestrator's purchase consumer has nothing pending or unacknowledged."""
    stream = bus.stream_name(PurchaseConfirmed.source)
    durable = f"orchestrator--{PurchaseConfirmed.subject().replace('.', '_')}"

    async def drained() -> bool:
        info = await bus.js.consumer_info(stream, durable)
        return not info.num_pending and not info.num_ack_pending

    await _until(drained, what)


async def _report_when(
    orchestrator: httpx.AsyncClient,
    chain_id: str,
    ready: Callable[[dict[str, Any]], bool],
    what: str,
) -> dict[str, Any]:
    """The chain's version 1 figures from `GET /analytics/chains/{id}` once `ready`."""
    found: dict[str, Any] = {}

    async def complete() -> bool:
        answer = await orchestrator.get(f"/analytics/chains/{chain_id}")
        _ok(answer)
        versions = answer.json()["versions"]
        found.update(versions[0] if versions else {})
        return bool(found) and ready(found)

    await _until(complete, f"{what} in the report", found)
    return found


def _mailed(treated: int, figures: dict[str, Any]) -> bool:
    email = figures["messages_by_channel"].get("email", {"sent": 0, "failed": 0})
    return bool(email["sent"] + email["failed"] >= treated)


def _converted(buyers: int, figures: dict[str, Any]) -> bool:
    return bool(sum(figures["conversions"].values()) >= buyers)


async def _until(check: Callable[[], Awaitable[bool]], what: str, seen: object = None) -> None:
    deadline = utcnow() + PATIENCE
    while not await check():
        if utcnow() > deadline:
            raise TimeoutError(f"waited {PATIENCE} for {what}; last seen: {seen}")
        await asyncio.sleep(0.5)


async def _bounded(calls: list[Callable[[], Awaitable[T]]]) -> list[T]:
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        async with limit:
            return await call()

    return await asyncio.gather(*(one(call) for call in calls))


def _ok(answer: httpx.Response) -> None:
    if answer.status_code >= 300:
        raise RuntimeError(f"{answer.request.method} {answer.request.url}: {answer.text}")


def new_chain_id(name: str, seed: int) -> str:
    return f"sim_{name}_{seed}_{uuid.uuid4().hex[:6]}"


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    print(HEADER, flush=True)
    async with started_platform() as at:
        for name in args.effects.split(","):
            chain_id = new_chain_id(name, args.seed)
            # The chain only sends; each effect its own customers, as each has its own history.
            scenario = replace(scenario_for(name, args), grant_points=0, id_salt=chain_id)
            result = await on_platform(scenario, at, chain_id)
            print(row(name, result), flush=True)


if __name__ == "__main__":
    parse = parser()
    # A few hundred real workflows fit a development machine; half held out for power.
    parse.set_defaults(customers=300, holdout_share=0.5)
    asyncio.run(main(parse.parse_args()))
