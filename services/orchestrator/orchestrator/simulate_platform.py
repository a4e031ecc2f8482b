"""The simulator on the real machinery: `python -m orchestrator.simulate_platform`.

Every service runs as its own process on PostgreSQL, NATS, Redis and the Temporal dev server
(`kit.stack`, as the end-to-end tests start them). Each customer is a member registered with
loyalty (his id is loyalty's) and a contact of the real notifier. The chain is created and
published through the orchestrator's API and every customer is enrolled through it, so every
enrollment is a real `ChainWorkflow`: its e-mail goes through the notifier's delivery workflow
to the SMTP sink and comes back as `message.sent`, its gift is a `grant_bonus` step that
grants a real lot through loyalty's `/grants`, heard back as `bonus.granted`. The pre-period
purchases, drawn from the same model as the other modes (`simulate.population`), are
`purchase.confirmed` events published on NATS (they are dated before now, which loyalty's till
never does); the window's purchases go through loyalty's till (calculate, reserve with the
points the model redeems, confirm), so `purchase.confirmed` names the lots that paid and the
orchestrator charges the chain its own redeemed points, valued from loyalty's programme. The
figures are the platform's own `GET /analytics/chains/{id}`. Time is not compressed: a
customer who does not buy is still waiting when the report is read (counted as not converted).
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
from nats.js.errors import NotFoundError

from kit.bus import DEAD_LETTER_SOURCE, EventBus, connect_nats
from kit.clock import utcnow
from kit.contracts.loyalty import PurchaseConfirmed
from kit.stack import Platform, running_infra, running_platform
from orchestrator.simulate import (
    Customer,
    Result,
    Scenario,
    header,
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


GIFT_DAYS = 30  # the gift's lifetime: it outlives the window


@dataclass(frozen=True)
class Endpoints:
    orchestrator: str
    notifier: str
    loyalty: str
    nats_url: str
    namespace: str

    @classmethod
    def of(cls, platform: Platform) -> "Endpoints":
        nats = platform.env["ORCHESTRATOR_NATS_URL"]
        service = platform.service
        return cls(
            service("orchestrator"),
            service("notifier"),
            service("loyalty"),
            nats,
            platform.namespace,
        )


@dataclass(frozen=True)
class Run:
    """What one effect's run produced: the platform's figures over the model's customers."""

    result: Result
    customers: list[Customer]

    @property
    def points_redeemed(self) -> int:
        """Points the model's treated buyers redeemed at loyalty's till."""
        return sum(c.redeems for c in self.customers)

    def points_cost_check(self) -> str:
        """The report's points cost beside what the model redeemed, valued from loyalty."""
        cost = self.result.figures["cost"]["points"]
        model = self.points_redeemed * self.result.scenario.point_value
        verdict = "equal" if cost == model else "DIFFERS"
        return f"{cost / 100:.2f} [{model / 100:.2f}] {verdict}"


@asynccontextmanager
async def started_platform() -> AsyncIterator[Endpoints]:
    """Servers and every service on free ports under a temporary folder, stopped on exit."""
    with (
        tempfile.TemporaryDirectory(prefix="simulate-") as root,
        running_infra(Path(root)) as infra,
    ):
        async with running_platform(infra) as platform:
            yield Endpoints.of(platform)


async def on_platform(scenario: Scenario, at: Endpoints, chain_id: str) -> Run:
    async with (
        httpx.AsyncClient(base_url=at.orchestrator, timeout=60) as orchestrator,
        httpx.AsyncClient(base_url=at.notifier, timeout=60) as notifier,
        httpx.AsyncClient(base_url=at.loyalty, timeout=60) as loyalty,
        _bus(at) as bus,
    ):
        scenario = await _members(loyalty, scenario, chain_id)
        customers = population(scenario, chain_id)
        await _prepare_notifier(notifier, chain_id)
        await _publish_chain(orchestrator, chain_id, scenario)
        # The notifier makes each member a contact from loyalty's `member.registered`.
        await _bounded([partial(_contact, notifier, c) for c in customers])
        log.info("%s: chain published, %d members and contacts", chain_id, len(customers))
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
        # The model buys after the touch and the gift: a purchase heard first would end the
        # workflow before them.
        touched = partial(_touched, treated, treated * scenario.grant_points)
        await _report_when(orchestrator, chain_id, touched, "every e-mail and gift")
        buyers = [c for c in customers if c.buys is not None]
        value = scenario.point_value
        await _bounded([partial(_buy, loyalty, chain_id, value, c) for c in buyers])
        redeemed = sum(c.redeems for c in customers)
        converted = partial(_converted, len(buyers), redeemed)
        try:
            report = await _report_when(orchestrator, chain_id, converted, "every conversion")
        except TimeoutError as exc:
            why = await _unconverted(orchestrator, bus, chain_id, buyers, redeemed)
            raise TimeoutError(f"{exc}; {why}") from exc
        log.info(
            "%s: %d e-mails, %d conversions, %d points", chain_id, treated, len(buyers), redeemed
        )
    return Run(result_of(scenario, customers, report), customers)


async def _members(loyalty: httpx.AsyncClient, scenario: Scenario, chain_id: str) -> Scenario:
    """Each customer registered with loyalty, and the programme's point value and cap: the
    model's customers take loyalty's ids, its redemptions the programme's rules."""
    answer = await loyalty.get("/programme")
    _ok(answer)
    rules = answer.json()
    numbers = range(scenario.customers)
    ids = await _bounded([partial(_register, loyalty, chain_id, n) for n in numbers])
    return replace(
        scenario,
        ids=tuple(ids),
        point_value=rules["minor_units_per_point"],
        redemption_cap_bp=rules["redemption_cap_bp"],
    )


async def _register(loyalty: httpx.AsyncClient, chain_id: str, number: int) -> str:
    body = {
        "name": "Sam",
        "email": f"{chain_id}-{number}@example.com",
        "time_zone": "UTC",
        "consents": {"email": True},
    }
    answer = await loyalty.post("/members", json=body)
    _ok(answer)
    return str(answer.json()["id"])


async def _buy(
    loyalty: httpx.AsyncClient, chain_id: str, point_value: int, customer: Customer
) -> None:
    """The window's purchase at loyalty's till: the receipt is what the customer pays with money
    plus the points he redeems, so he pays the model's amount and redeems the model's points."""
    points = customer.redeems
    receipt = {
        "customer_id": customer.id,
        "store_id": "sim",
        "channel": "offline",
        "lines": [
            {"sku": "basket", "quantity": 1, "price": (customer.buys or 0) + points * point_value}
        ],
        "points": points,
    }
    quote = await loyalty.post("/purchases/calculate", json=receipt)
    _ok(quote)
    txid = f"{chain_id[-6:]}-{customer.id}"
    reserve = {**receipt, "txid": txid, "quoted_redeemed": quote.json()["redeemed"]}
    _ok(await loyalty.post("/purchases", json=reserve))
    answer = await loyalty.post(f"/purchases/{txid}/confirm", params={"store_id": "sim"}, json={})
    _ok(answer)
    done = answer.json()
    if (done["redeemed"], done["payable"]) != (points, customer.buys):
        raise RuntimeError(f"{customer.id}: the till took {done}, the model {points} points")


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


async def _publish_chain(
    orchestrator: httpx.AsyncClient, chain_id: str, scenario: Scenario
) -> None:
    gift = {
        "kind": "grant_bonus",
        "id": "gift",
        "amount": scenario.grant_points,
        "lifetime_days": GIFT_DAYS,
    }
    definition = {
        "id": chain_id,
        "name": "simulated offer",
        "trigger": {"kind": "event", "event": "cart.updated"},
        "holdout_share": scenario.holdout_share,
        "goal": {"event": "purchase", "attribution_window": "P14D"},
        "steps": [
            {"kind": "send", "id": "mail", "template": TEMPLATE},
            gift,
            {"kind": "wait", "id": "hold", "wait": {"type": "duration", "duration": "P14D"}},
        ],
    }
    _ok(await orchestrator.post("/chains", json=definition))
    _ok(await orchestrator.post(f"/chains/{chain_id}/publish"))


async def _contact(notifier: httpx.AsyncClient, customer: Customer) -> None:
    """Until the notifier knows the member as a contact."""

    async def known() -> bool:
        answer = await notifier.get(f"/contacts/{customer.id}")
        if answer.status_code != 404:
            _ok(answer)
        return answer.status_code == 200

    await _until(known, f"{customer.id} as the notifier's contact")


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


async def _unconverted(
    orchestrator: httpx.AsyncClient,
    bus: EventBus,
    chain_id: str,
    buyers: list[Customer],
    redeemed: int,
) -> str:
    """What a stalled conversion wait needs to be explained: what was expected, the buyers
    whose enrollment has not exited on their purchase, and the purchase consumer's state."""
    stalled = []
    for customer in buyers:
        answer = await orchestrator.get(f"/customers/{customer.id}/enrollments")
        _ok(answer)
        mine = [e for e in answer.json()["items"] if e["chain_id"] == chain_id]
        states = [(e["status"], e["exit_reason"]) for e in mine]
        if states != [("exited", "purchase")]:
            stalled.append(f"{customer.id} (holdout {customer.holdout}): {states}")
    stream = bus.stream_name(PurchaseConfirmed.source)
    durable = f"orchestrator--{PurchaseConfirmed.subject().replace('.', '_')}"
    info = await bus.js.consumer_info(stream, durable)
    dead = await bus.js.stream_info(bus.stream_name(DEAD_LETTER_SOURCE))
    subject = bus.full_subject(f"{DEAD_LETTER_SOURCE}.{durable}")
    try:
        last = await bus.js.get_last_msg(bus.stream_name(DEAD_LETTER_SOURCE), subject)
        last_reason = (last.headers or {}).get("Reason", "")
    except NotFoundError:
        last_reason = "none"
    return (
        f"expected {len(buyers)} conversions and {redeemed} redeemed points; "
        f"not exited on a purchase: {stalled or 'none'}; purchase consumer: "
        f"{info.num_pending} pending, {info.num_ack_pending} unacknowledged, "
        f"{info.num_redelivered} redelivered; dead letters: {dead.state.messages}, the last of "
        f"purchases: {last_reason}"
    )


def _touched(treated: int, points: int, figures: dict[str, Any]) -> bool:
    email = figures["messages_by_channel"].get("email", {"sent": 0, "failed": 0})
    mailed = email["sent"] + email["failed"] >= treated
    return bool(mailed and figures["points_granted"] >= points)


def _converted(buyers: int, redeemed: int, figures: dict[str, Any]) -> bool:
    converted = sum(figures["conversions"].values()) >= buyers
    return bool(converted and figures["cost"]["points_redeemed"] >= redeemed)


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
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not every request of the run
    print(header("points cost [model]"), flush=True)
    async with started_platform() as at:
        for name in args.effects.split(","):
            chain_id = new_chain_id(name, args.seed)
            # Each effect its own members, as each has its own history.
            run = await on_platform(scenario_for(name, args), at, chain_id)
            print(row(name, run.result, run.points_cost_check()), flush=True)


if __name__ == "__main__":
    parse = parser()
    # A few hundred real workflows fit a development machine; half held out for power.
    parse.set_defaults(customers=300, holdout_share=0.5)
    asyncio.run(main(parse.parse_args()))
