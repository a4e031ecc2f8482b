"""`make chaos`: the platform on PostgreSQL under POS load, one fault at a time, then checks.

Starts NATS, Redis, PostgreSQL and the Temporal dev server on free loopback ports, then every
API and worker, all supervised (a process that exits is restarted, as on Kubernetes). For each
fault, tills register customers and buy, retrying each step with the same key until answered;
the fault is injected while they run; once they are done and the platform has settled, it
checks that nothing was lost or repeated:

- `loyalty.reconcile` finds no breach;
- every purchase a till saw confirmed exists once, with one accrual;
- its `purchase.confirmed` event left loyalty once and was applied by segments and by the
  orchestrator; every registration's `member.registered` event was applied by segments;
- no outbox row is left unpublished and no consumer has work pending; no dead letter;
- no customer received the same e-mail twice;
- no chain a purchase ends (welcome, abandoned cart) is left running for a customer who bought
  after its trigger: each till customer registers, updates a cart and then buys, so once the
  platform is quiet neither chain may be running for them (waited for up to a few minutes).

Prints a table (fault, requests the tills saw fail, outage length, lost, duplicated, chains
left running) and exits 1 on any loss, duplicate or chain left running. `--outage-seconds`
shortens the PostgreSQL outage (300 s by default); `--only` runs the faults whose names contain
a word.
"""

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from kit.bus import EventBus, connect_nats
from kit.contracts import MemberRegistered
from kit.contracts.loyalty import PurchaseConfirmed, purchase_key
from kit.db import create_engine, session_factory, unit_of_work
from kit.stack import (
    APIS,
    TILL_DOOR,
    WORKERS,
    Infra,
    Platform,
    Supervisor,
    running_infra,
    running_platform,
)
from loyalty.reconcile import breaches

TILLS = 4
LOAD_SECONDS = 20.0
SETTLE_SECONDS = 240.0
CHAINS_SECONDS = 180.0  # for a purchase's signal to end the chains still running
# The chains a purchase ends; welcome is published at install, the cart chain by the suite.
GOAL_CHAINS = ("welcome", "abandoned_cart")
ANSWER_DEADLINE_SECONDS = 600.0  # a till gives up on a step only after this long


def log(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)


# --- the tills -----------------------------------------------------------------------------


@dataclass
class Tally:
    """What the tills of one fault did and saw."""

    failed_requests: int = 0
    registered: list[str] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)
    unanswered: int = 0
    refused: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    bought: Counter[str] = field(default_factory=Counter)  # confirmed purchases by customer


RETRY = frozenset({408, 425, 429, 500, 502, 503, 504})


async def until_answered(
    client: httpx.AsyncClient, tally: Tally, path: str, body: object, ok: int, **headers: str
) -> dict[str, Any] | None:
    """Sends the same request until it gets an answer that is not "try again"."""
    deadline = time.monotonic() + ANSWER_DEADLINE_SECONDS
    delay = 0.2
    while time.monotonic() < deadline:
        try:
            answer = await client.post(path, json=body, headers=headers)
        except httpx.HTTPError:
            answer = None
        if answer is not None and answer.status_code == ok:
            return dict(answer.json())
        tally.failed_requests += 1
        retryable = answer is None or answer.status_code in RETRY
        if answer is not None and answer.status_code == 409:
            retryable = answer.json().get("code") == "idempotency_key_in_progress"
        if not retryable and answer is not None:
            tally.refused.append(f"{path} {answer.status_code} {answer.text[:200]}")
            return None
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)
    tally.unanswered += 1
    return None


async def till(platform: Platform, tally: Tally, stop_at: float) -> None:
    headers = {"Authorization": f"Bearer {platform.pos_key}"}
    timeout = httpx.Timeout(10.0)
    async with (
        httpx.AsyncClient(base_url=platform.gateway, headers=headers, timeout=timeout) as gw,
        httpx.AsyncClient(base_url=platform.till_door, headers=headers, timeout=timeout) as door,
    ):
        while time.monotonic() < stop_at:
            email = f"chaos-{uuid.uuid4().hex[:12]}@example.com"
            body = {"email": email, "name": "Chaos", "consents": {"email": True}}
            member = await until_answered(
                gw, tally, "/v1/customers", body, 201, **{"Idempotency-Key": uuid.uuid4().hex}
            )
            if member is None:
                continue
            tally.registered.append(member["id"])
            tally.emails.append(email)
            for _ in range(2):
                await purchase(gw, door, tally, member["id"])


STORE = "s1"
LAMP = {"sku": "LAMP", "category": "lamps", "quantity": 1, "price": 12_500}


async def purchase(
    gw: httpx.AsyncClient, door: httpx.AsyncClient, tally: Tally, customer_id: str
) -> None:
    """The cart, then the purchase that empties it: it starts and then ends an abandoned-cart
    chain (or, handled after the purchase, starts none). The purchase goes through the till's
    door, as the ingress sends it."""
    cart = {"type": "cart.updated", "customer_id": customer_id, "cart_id": customer_id}
    if await until_answered(gw, tally, "/v1/events", {**cart, "items": [LAMP]}, 202) is None:
        return
    txid = uuid.uuid4().hex
    body = {"customer_id": customer_id, "store_id": STORE, "channel": "offline", "lines": [LAMP]}
    if await until_answered(door, tally, "/v1/purchases", {**body, "txid": txid}, 201) is None:
        return
    if await until_answered(door, tally, f"/v1/purchases/{txid}/confirm", {}, 200) is not None:
        tally.confirmed.append(txid)
        tally.bought[customer_id] += 1


# --- the faults ----------------------------------------------------------------------------


@dataclass
class Chaos:
    infra: Infra
    platform: Platform
    supervisors: list[Supervisor]
    outage_seconds: float

    def supervisor_of(self, name: str) -> Supervisor:
        return next(s for s in self.supervisors if name in s.group.procs)

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> None:
        child = self.supervisor_of(name).group.procs[name]
        os.killpg(child.pid, sig)

    async def back(self, name: str) -> None:
        """Waits until ``name`` runs again and answers its readiness check."""
        group = self.supervisor_of(name).group
        spec = group.specs[name]
        while True:
            child = group.procs[name]
            if child.poll() is None and (spec.ready is None or spec.ready()):
                return
            await asyncio.sleep(0.2)

    async def supervise(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            for supervisor in self.supervisors:
                supervisor.check()
            await asyncio.sleep(0.3)


Fault = Callable[[Chaos], Awaitable[None]]


def kill_and_restart(name: str, sig: signal.Signals = signal.SIGKILL) -> Fault:
    async def inject(chaos: Chaos) -> None:
        first = chaos.supervisor_of(name).group.procs[name].pid
        chaos.kill(name, sig)
        while chaos.supervisor_of(name).group.procs[name].pid == first:  # noqa: ASYNC110
            await asyncio.sleep(0.2)  # the supervisor starts it again after its backoff
        await chaos.back(name)

    return inject


async def postgres_outage(chaos: Chaos) -> None:
    supervisor = chaos.supervisor_of("postgres")
    supervisor.hold("postgres")
    chaos.kill("postgres", signal.SIGINT)  # fast shutdown: every connection is cut
    await asyncio.sleep(chaos.outage_seconds)
    supervisor.release("postgres")
    await chaos.back("postgres")


def faults() -> list[tuple[str, Fault]]:
    listed: list[tuple[str, Fault]] = []
    listed += [(f"kill -9 {name}-api", kill_and_restart(f"{name}-api")) for name in APIS]
    listed += [(f"kill -9 {TILL_DOOR}", kill_and_restart(TILL_DOOR))]
    listed += [(f"kill -9 {name}-worker", kill_and_restart(f"{name}-worker")) for name in WORKERS]
    listed += [(f"kill -9 {name}", kill_and_restart(name)) for name in ("nats", "redis")]
    listed += [("kill -9 temporal", kill_and_restart("temporal"))]
    listed += [("restart postgres", kill_and_restart("postgres", signal.SIGINT))]
    listed += [("postgres outage", postgres_outage)]
    return listed


# --- the checks ----------------------------------------------------------------------------


@dataclass
class Findings:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    running: list[str] = field(default_factory=list)  # chains left running after a purchase
    chains: int = 0  # enrollments in GOAL_CHAINS of the customers who bought


def pg_url(platform: Platform, service: str) -> str:
    return platform.database_urls[service].replace("postgresql+asyncpg", "postgresql")


async def query(platform: Platform, service: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(pg_url(platform, service))
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def settled(chaos: Chaos) -> bool:
    """No unpublished outbox row in any service, no consumer with work left."""
    for service in APIS:
        rows = await query(
            chaos.platform, service, "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        )
        if rows[0][0]:
            return False
    nc = await connect_nats(chaos.infra.nats_url, "chaos")
    try:
        bus = EventBus(nc, chaos.platform.namespace)
        for info in await bus.js.streams_info():
            name = info.config.name or ""
            if not name.startswith(bus.stream_name("")):
                continue
            for consumer in await bus.js.consumers_info(name):
                if consumer.num_pending or consumer.num_ack_pending:
                    return False
    finally:
        await nc.close()
    return True


async def drain(chaos: Chaos) -> bool:
    """Waits until the platform stays settled for a few seconds: events cause events."""
    deadline = time.monotonic() + SETTLE_SECONDS
    calm = 0
    while calm < 3 and time.monotonic() < deadline:
        calm = calm + 1 if await settled(chaos) else 0
        await asyncio.sleep(1)
    return calm >= 3


async def dead_letters(chaos: Chaos) -> int:
    nc = await connect_nats(chaos.infra.nats_url, "chaos")
    try:
        bus = EventBus(nc, chaos.platform.namespace)
        info = await bus.js.stream_info(bus.stream_name("deadletter"))
        return int(info.state.messages)
    finally:
        await nc.close()


async def event_ids(platform: Platform, subject: str, key: str) -> dict[str, list[str]]:
    """Loyalty's events of one subject: the event ids by a payload field (or customer id)."""
    rows = await query(
        platform, "loyalty", "SELECT event_id, data FROM outbox WHERE subject = $1", subject
    )
    found: dict[str, list[str]] = {}
    for row in rows:
        data = json.loads(row["data"])
        value = data["customer_id"] if key == "customer_id" else data["payload"][key]
        found.setdefault(value, []).append(row["event_id"])
    return found


async def applied_by(platform: Platform, service: str) -> set[str]:
    rows = await query(platform, service, "SELECT event_id FROM processed_events")
    return {row["event_id"] for row in rows}


async def reconcile(platform: Platform) -> list[str]:
    """The invariants `python -m loyalty.reconcile` finds broken in the platform's ledger: the
    ledger's sums, the programme's economics and the stored spends."""
    engine = create_engine(platform.database_urls["loyalty"])
    try:
        async with unit_of_work(session_factory(engine)) as session:
            return sorted(await breaches(session))
    finally:
        await engine.dispose()


async def check(chaos: Chaos, tally: Tally, drained: bool) -> Findings:
    platform, found = chaos.platform, Findings()
    found.lost.extend(f"reconcile: {name}" for name in await reconcile(platform))
    await check_purchases(platform, tally, found)
    await check_events(platform, tally, found)
    if not drained:
        found.lost.append(f"outbox rows or consumer work left after {SETTLE_SECONDS:.0f}s")
    if letters := await dead_letters(chaos):
        found.lost.append(f"{letters} dead letters")
    await check_mail(platform, tally, found)
    await check_facts(platform, tally, found)
    await check_chains(platform, tally, found)
    return found


async def check_purchases(platform: Platform, tally: Tally, found: Findings) -> None:
    rows = await query(
        platform,
        "loyalty",
        """SELECT p.txid, p.status, p.accrued_points,
                  (SELECT count(*) FROM journal j
                   WHERE j.kind = 'accrue' AND j.lot_id = p.accrual_lot_id) AS accruals
           FROM purchases p WHERE p.txid = ANY($1::text[])""",
        tally.confirmed,
    )
    by_txid = {row["txid"]: row for row in rows}
    for txid in tally.confirmed:
        row = by_txid.get(txid)
        if row is None or row["status"] != "confirmed":
            found.lost.append(f"purchase {txid} not confirmed in loyalty")
        elif row["accrued_points"] and row["accruals"] == 0:
            found.lost.append(f"purchase {txid} without its accrual")
        elif row["accruals"] > 1:
            found.duplicated.append(f"purchase {txid} accrued {row['accruals']} times")
    keys = {purchase_key(STORE, txid): txid for txid in tally.confirmed}
    segments = await query(
        platform,
        "segments",
        "SELECT purchase_key FROM purchases WHERE purchase_key = ANY($1::text[])",
        list(keys),
    )
    in_segments = Counter(keys[row["purchase_key"]] for row in segments)
    for txid in tally.confirmed:
        if in_segments[txid] != 1:
            found.lost.append(f"purchase {txid} in segments {in_segments[txid]} times")


async def check_events(platform: Platform, tally: Tally, found: Findings) -> None:
    confirmed = await event_ids(platform, PurchaseConfirmed.subject(), "txid")
    registered = await event_ids(platform, MemberRegistered.subject(), "customer_id")
    segments = await applied_by(platform, "segments")
    orchestrator = await applied_by(platform, "orchestrator")
    expected: list[tuple[str, dict[str, list[str]], tuple[set[str], ...]]] = [
        (txid, confirmed, (segments, orchestrator)) for txid in tally.confirmed
    ]
    expected += [(member, registered, (segments,)) for member in tally.registered]
    for key, events, consumers in expected:
        ids = events.get(key, [])
        if len(ids) != 1:
            where = found.lost if not ids else found.duplicated
            where.append(f"{key}: {len(ids)} events in loyalty's outbox")
            continue
        for applied in consumers:
            if ids[0] not in applied:
                found.lost.append(f"{key}: event {ids[0]} not applied by a consumer")


async def check_mail(platform: Platform, tally: Tally, found: Findings) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        messages = (await client.get(f"{platform.mail}/messages")).json()
    ours = set(tally.emails)
    sent = Counter(
        (to, message["subject"]) for message in messages for to in message["to"] if to in ours
    )
    for (to, subject), count in sent.items():
        if count > 1:
            found.duplicated.append(f"{to} got {subject!r} {count} times")


async def check_facts(platform: Platform, tally: Tally, found: Findings) -> None:
    """The orchestrator counted each customer's purchases once: its chains' filters and
    goals read these counts."""
    rows = await query(
        platform,
        "orchestrator",
        "SELECT customer_id, purchase_count FROM customer_facts WHERE customer_id = ANY($1)",
        list(tally.bought),
    )
    counted = {row["customer_id"]: row["purchase_count"] for row in rows}
    for customer, bought in tally.bought.items():
        seen = counted.get(customer, 0)
        if seen != bought:
            where = found.lost if seen < bought else found.duplicated
            where.append(f"{customer}: {bought} purchases, the orchestrator counted {seen}")


async def goal_enrollments(platform: Platform, customers: list[str]) -> list[asyncpg.Record]:
    return await query(
        platform,
        "orchestrator",
        """SELECT chain_id, customer_id, status FROM enrollments
           WHERE chain_id = ANY($1::text[]) AND customer_id = ANY($2::text[])""",
        list(GOAL_CHAINS),
        customers,
    )


async def check_chains(platform: Platform, tally: Tally, found: Findings) -> None:
    """Every till customer bought after registering and after updating a cart: once the
    purchase signals have landed, no welcome or cart chain of theirs may still be running."""
    deadline = time.monotonic() + CHAINS_SECONDS
    while True:
        rows = await goal_enrollments(platform, list(tally.bought))
        running = [row for row in rows if row["status"] == "active"]
        if not running or time.monotonic() >= deadline:
            break
        await asyncio.sleep(2)
    found.chains = len(rows)
    for row in running:
        found.running.append(
            f"{row['customer_id']}: {row['chain_id']} chain still running after a purchase"
        )


# --- the run -------------------------------------------------------------------------------


@dataclass
class Row:
    fault: str
    failed_requests: int
    outage_seconds: float
    confirmed: int
    lost: list[str]
    duplicated: list[str]
    chains: int
    running: list[str]

    @property
    def failed(self) -> bool:
        return bool(self.lost or self.duplicated or self.running)


async def run_fault(chaos: Chaos, name: str, inject: Fault, load_seconds: float) -> Row:
    tally = Tally()
    stop_at = time.monotonic() + load_seconds
    tills = [asyncio.create_task(till(chaos.platform, tally, stop_at)) for _ in range(TILLS)]
    await asyncio.sleep(min(5.0, load_seconds / 3))
    log(f"{name}: injecting")
    started = time.monotonic()
    await inject(chaos)
    outage = time.monotonic() - started
    log(f"{name}: back after {outage:.1f}s; waiting for the tills")
    await asyncio.gather(*tills)
    found = await check(chaos, tally, drained=await drain(chaos))
    found.lost += [f"refused: {refusal}" for refusal in tally.refused]
    if tally.unanswered:
        found.lost.append(f"{tally.unanswered} steps never answered")
    row = Row(
        name,
        tally.failed_requests,
        outage,
        len(tally.confirmed),
        found.lost,
        found.duplicated,
        found.chains,
        found.running,
    )
    log(
        f"{name}: {len(tally.confirmed)} purchases, lost {len(row.lost)}, duplicated "
        f"{len(row.duplicated)}, chains running {len(row.running)} of {row.chains}"
    )
    for problem in [*row.lost, *row.duplicated, *row.running][:20]:
        log(f"  {problem}")
    return row


def table(rows: list[Row]) -> str:
    head = f"{'fault':<28} {'purchases':>9} {'till failures':>13} {'outage s':>9}"
    head += f" {'lost':>5} {'dup':>5} {'chains':>6} {'running':>7}"
    lines = [head, "-" * len(head)]
    for row in rows:
        lines.append(
            f"{row.fault:<28} {row.confirmed:>9} {row.failed_requests:>13} "
            f"{row.outage_seconds:>9.1f} {len(row.lost):>5} {len(row.duplicated):>5} "
            f"{row.chains:>6} {len(row.running):>7}"
        )
    return "\n".join(lines)


async def publish_cart_chain(platform: Platform) -> None:
    """The built-in abandoned-cart chain, published as is (welcome is published at install)."""
    async with httpx.AsyncClient(base_url=platform.service("orchestrator"), timeout=60) as api:
        copied = await api.post(
            "/chains/templates/abandoned_cart/copy", json={"id": "abandoned_cart"}
        )
        published = await api.post("/chains/abandoned_cart/publish")
    for answer in (copied, published):
        if answer.is_error:
            raise RuntimeError(f"the abandoned-cart chain: {answer.status_code} {answer.text}")


async def chaos_run(args: argparse.Namespace, infra: Infra) -> list[Row]:
    log("starting the platform on PostgreSQL…")
    async with running_platform(infra) as platform:
        await publish_cart_chain(platform)
        supervisors = [Supervisor(g, log=log) for g in (infra.group, platform.group)]
        chaos = Chaos(infra, platform, supervisors, args.outage_seconds)
        stop = asyncio.Event()
        supervising = asyncio.create_task(chaos.supervise(stop))
        rows = []
        try:
            for name, inject in faults():
                if args.only and not any(word in name for word in args.only):
                    continue
                rows.append(await run_fault(chaos, name, inject, args.load_seconds))
        finally:
            stop.set()
            await supervising
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outage-seconds", type=float, default=300.0)
    parser.add_argument("--load-seconds", type=float, default=LOAD_SECONDS)
    parser.add_argument("--only", nargs="*", default=[], help="run faults naming these words")
    args = parser.parse_args()
    started = time.monotonic()
    with running_infra(Path(tempfile.mkdtemp(prefix="retention-chaos-"))) as infra:
        rows = asyncio.run(chaos_run(args, infra))
    print(f"\n{table(rows)}\n\n{len(rows)} faults in {(time.monotonic() - started) / 60:.1f} min")
    failed = [row for row in rows if row.failed]
    print(
        "FAILED: something was lost or repeated, or a chain was left running"
        if failed
        else "PASSED: nothing lost, nothing repeated, no chain left running"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
