"""A synthetic population whose truth is known, run through the orchestrator's own projections
and report, to show the analytics find the truth: `python -m orchestrator.simulate`.

What is real: the migrated database (SQLite by default, PostgreSQL with --database-url), the
chain published by `chains.create`/`publish`, the holdout draw (`in_holdout`), the projections
the NATS consumers make of every event (`record_purchase`, `record_conversions` over
`purchase_candidates`, `record_message`, `record_grant`) and the workflow's exit bookkeeping
(`enrollments.record_exit`), in their set-based form (`simulate_batch`, which a test checks
against the per-event functions row for row), and the report (`analytics.report`).
What is not: no Temporal workflow runs and no event crosses NATS. Each customer's chain is
what the workflow would do for a one-message chain: enrolled at T0, one e-mail (a ghost touch
for the holdout) at T0, exit 14 days later. Running 100 000 real workflows takes the
time-skipping server hours on two cores; the workflow's own behaviour is covered by
tests/orchestrator/workflows, the event path by tests/orchestrator/test_analytics.py.
`orchestrator.simulate_platform` runs a few hundred customers of the same model through the
real services, workflows and NATS events instead.

The model, per customer: a purchase propensity p ~ Beta(1, 9) (10 % on average) and a basket
b ~ lognormal around 50.00; a 90-day pre-period of Poisson(30p) purchases of about b each; in the
window the customer buys once with probability p (+ the conversion effect if treated) for
about b (+ the basket effect if treated). True effect on revenue per customer:
mean((p + dp)(b + db) - p b) over the population.
"""

import argparse
import asyncio
import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kit.clock import utcnow
from kit.contracts.loyalty import (
    BonusGranted,
    BonusGrantedPayload,
    LotPoints,
    PurchaseConfirmed,
    PurchaseConfirmedPayload,
)
from kit.contracts.notifier import MessagePayload
from kit.db import SessionFactory, create_engine, session_factory, unit_of_work
from kit.migrations import upgrade_async
from orchestrator import analytics, chains, repository, simulate_batch
from orchestrator.definitions.facts import in_holdout
from orchestrator.definitions.model import ChainDefinition
from orchestrator.enrollments import record_exit
from orchestrator.models import Enrollment
from orchestrator.workflows import chain_workflow_id
from orchestrator.workflows.messages import EnrollmentExit

WINDOW = timedelta(days=14)
CHUNK = 5_000  # customers per transaction
COSTS = {"email": 1, "push": 1, "messenger": 2, "sms": 6}
EFFECTS = {"none": (0.0, 0), "small": (0.02, 500), "large": (0.06, 1500)}


@dataclass(frozen=True)
class Scenario:
    customers: int = 10_000
    seed: int = 1
    holdout_share: float = 0.1
    conversion_effect: float = 0.02  # absolute, in the treated group
    basket_effect: int = 500  # minor units added to a treated buyer's basket
    grant_points: int = 20  # the chain grants each treated customer this many points
    point_value: int = 100  # minor units per point, as loyalty's programme says
    margin_bp: int = 10_000
    worked_example: bool = False  # issue 15: 10 % buy 100.00 in each group, 2 000 points
    # Other customers for the same seed: runs sharing a platform must not share purchases.
    id_salt: str = ""
    # The customers' ids when the platform chose them (loyalty's members), else drawn.
    ids: tuple[str, ...] = ()
    # Loyalty's cap on the share of a receipt points may pay (10 000: no cap).
    redemption_cap_bp: int = 10_000
    redeem_share: float = 0.5  # of the treated buyers, those who use the gift


@dataclass
class Customer:
    id: str
    propensity: float
    basket: int
    history: list[tuple[timedelta, int]]  # (before enrollment, paid)
    holdout: bool = False
    buys: int | None = None  # what the customer pays in the window, if he buys
    redeems: int = 0


@dataclass
class Result:
    scenario: Scenario
    truth_conversion: float
    truth_revenue_per_customer: float
    truth_roi: float | None
    figures: dict[str, Any] = field(default_factory=dict)

    def covers(self, key: str, truth: float) -> bool:
        block = self.figures[key]
        return bool(block["ci95_low"] <= truth <= block["ci95_high"])


def population(scenario: Scenario, chain_id: str) -> list[Customer]:
    rng = random.Random(scenario.seed)
    customers = []
    for number in range(scenario.customers):
        customer_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if scenario.ids:
            customer_id = scenario.ids[number]
        elif scenario.id_salt:
            customer_id = str(uuid.uuid5(uuid.NAMESPACE_URL, scenario.id_salt + customer_id))
        p = rng.betavariate(1, 9)
        basket = max(100, round(rng.lognormvariate(math.log(5000), 0.5)))
        history = [
            (timedelta(days=rng.uniform(1, 89)), round(basket * rng.uniform(0.7, 1.3)))
            for _ in range(_poisson(rng, 30 * p))
        ]
        found = Customer(customer_id, p, basket, history)
        found.holdout = in_holdout(chain_id, customer_id, scenario.holdout_share)
        customers.append(found)
    if scenario.worked_example:
        _worked_example(customers)
    else:
        for customer in customers:
            _outcome(rng, scenario, customer)
    return customers


def _poisson(rng: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count, product = count + 1, product * rng.random()
    return count


def _outcome(rng: random.Random, scenario: Scenario, customer: Customer) -> None:
    lift = 0.0 if customer.holdout else scenario.conversion_effect
    if rng.random() < min(1.0, customer.propensity + lift):
        extra = 0 if customer.holdout else scenario.basket_effect
        customer.buys = round((customer.basket + extra) * rng.uniform(0.8, 1.2))
        if not customer.holdout and rng.random() < scenario.redeem_share:
            # The treated buyer uses the gift, as far as the cap lets points pay.
            customer.redeems = min(scenario.grant_points, _cap(scenario, customer.buys))


def _cap(scenario: Scenario, paid: int) -> int:
    """The most points a receipt whose money part is `paid` may take under loyalty's cap:
    r points are allowed while r <= (paid + r * point_value) * cap / (10 000 * point_value)."""
    if scenario.redemption_cap_bp >= 10_000:
        return scenario.grant_points
    money_share = (10_000 - scenario.redemption_cap_bp) * scenario.point_value
    return paid * scenario.redemption_cap_bp // money_share


def _worked_example(customers: list[Customer]) -> None:
    for group in (True, False):
        members = [c for c in customers if c.holdout == group]
        for customer in members[: round(len(members) / 10)]:
            customer.buys = 10_000
    buyers = [c for c in customers if not c.holdout and c.buys]
    buyers[0].redeems = 2000


def truth(scenario: Scenario, customers: list[Customer]) -> tuple[float, float]:
    """The true conversion effect and the true revenue effect per treated customer."""
    if scenario.worked_example:
        return 0.0, 0.0
    dp, db = scenario.conversion_effect, scenario.basket_effect
    gain = [
        (min(1.0, c.propensity + dp)) * (c.basket + db) - c.propensity * c.basket for c in customers
    ]
    return dp, math.fsum(gain) / len(gain)


def in_memory(scenario: Scenario, chain_id: str = "sim") -> Result:
    """The same population straight into the report's arithmetic (`analytics.figures`), with
    no database: what the projections would hold, for the many seeds a coverage check needs.
    `simulate` over the database gives the same figures (tests/orchestrator/test_simulate.py)."""
    customers = population(scenario, chain_id)
    outcomes, costs = analytics.Outcomes(), analytics.Costs()
    for customer in customers:
        group = outcomes.holdout if customer.holdout else outcomes.treated
        group.converted.append(customer.buys is not None)
        group.revenue.append(float(customer.buys or 0))
        group.pre_spend.append(float(sum(paid for _, paid in customer.history)))
        group.attributed += customer.buys or 0
        reason = "purchase" if customer.buys is not None else "completed"
        outcomes.exited[reason] = outcomes.exited.get(reason, 0) + 1
        if not customer.holdout:
            costs.points_granted += max(scenario.grant_points, customer.redeems)
            costs.points_redeemed += customer.redeems
    treated = outcomes.treated.size
    costs.by_channel = {"email": {"sent": treated, "failed": 0, "cost": treated * COSTS["email"]}}
    valuation = analytics.Valuation(scenario.point_value, scenario.margin_bp)
    return result_of(scenario, customers, analytics.figures(outcomes, costs, valuation))


def result_of(scenario: Scenario, customers: list[Customer], figures: dict[str, Any]) -> Result:
    dp, per_customer = truth(scenario, customers)
    cost = figures["cost"]["total"]
    true_profit = per_customer * figures["treated"] * scenario.margin_bp / 10_000
    true_roi = (true_profit - cost) / cost if cost else None
    return Result(scenario, dp, per_customer, true_roi, figures)


async def simulate(
    scenario: Scenario,
    database_url: str,
    chain_id: str = "sim",
    per_event: bool = False,
    at: datetime | None = None,
) -> Result:
    """The population through the projections on the database, one transaction per chunk of
    customers: by default in their set-based form (`simulate_batch`, one INSERT per table and
    chunk), with `per_event` through the consumers' own functions event by event. Everyone
    enrolls at `at` (default: now)."""
    await upgrade_async("orchestrator:migrations", database_url)
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        await _publish(sessions, chain_id)
        customers = population(scenario, chain_id)
        started = at or utcnow()
        record = _record_each if per_event else _record_chunk
        for start in range(0, len(customers), CHUNK):
            lives = [life(scenario, chain_id, c, started) for c in customers[start : start + CHUNK]]
            async with unit_of_work(sessions) as session:
                await record(session, lives)
        valuation = analytics.Valuation(scenario.point_value, scenario.margin_bp)
        async with unit_of_work(sessions) as session:
            report = await analytics.report(session, chain_id, valuation)
    finally:
        await engine.dispose()
    return result_of(scenario, customers, report["versions"][0])


async def _publish(sessions: SessionFactory, chain_id: str) -> None:
    definition = ChainDefinition.model_validate(
        {
            "id": chain_id,
            "name": "simulated chain",
            "trigger": {"kind": "event", "event": "cart.updated"},
            "steps": [{"kind": "send", "id": "mail", "template": "cart_reminder"}],
        }
    )
    async with unit_of_work(sessions) as session:
        if await repository.chain(session, chain_id) is None:
            await chains.create(session, definition)
            await chains.publish(session, chain_id)


@dataclass(frozen=True)
class Life:
    """One customer's events around the chain, in the order the platform hears them, as the
    consumers and the workflow of a one-message chain record them: the pre-period purchases,
    the enrollment at T0, the e-mail and the gift at T0 (treated only), the purchase on day 3
    if he buys, the exit on that purchase or 14 days after T0. Ids derive from the customer,
    so both recording paths write the same rows."""

    customer: Customer
    history: list[PurchaseConfirmed]
    enrollment_id: str
    enrolled_at: datetime
    exit: EnrollmentExit
    message: MessagePayload | None
    grant: BonusGranted | None
    purchase: PurchaseConfirmed | None


def life(scenario: Scenario, chain_id: str, customer: Customer, t0: datetime) -> Life:
    def key(what: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{chain_id}/{customer.id}/{what}"))

    history = [
        purchased(customer.id, t0 - before, paid, [], key(f"pre{i}"))
        for i, (before, paid) in enumerate(customer.history)
    ]
    treated = not customer.holdout
    bought = t0 + timedelta(days=3)
    lots = [_lot(customer)] if treated and customer.redeems else []
    purchase = None
    if customer.buys is not None:
        purchase = purchased(customer.id, bought, customer.buys, lots, key("buy"))
    exited = EnrollmentExit(
        workflow_id=chain_workflow_id(chain_id, customer.id),
        chain_id=chain_id,
        version=1,
        customer_id=customer.id,
        enrollment_key=key("trigger"),
        reason="completed" if purchase is None else "purchase",
        touches=1,
        holdout=customer.holdout,
        last_touch_at=t0,
        exited_at=t0 + WINDOW if purchase is None else bought,
    )
    message = _message(chain_id, key("mail")) if treated else None
    grant = _grant(scenario, chain_id, customer, t0) if treated else None
    return Life(customer, history, key("enrollment"), t0, exited, message, grant, purchase)


async def _record_chunk(session: Any, lives: list[Life]) -> None:
    chunk = simulate_batch.Chunk()
    for one in lives:
        for event in one.history:
            chunk.purchase(event)
        chunk.enrolled(one.enrollment_id, one.enrolled_at, one.exit)
        if one.message is not None:
            chunk.message(one.message, COSTS)
        if one.grant is not None:
            chunk.grant(one.grant)
        if one.purchase is not None:
            chunk.purchase(one.purchase)
    await simulate_batch.write(session, chunk)


async def _record_each(session: Any, lives: list[Life]) -> None:
    for one in lives:
        await _live(session, one)


async def _live(session: Any, one: Life) -> None:
    """One customer's life, event by event, through the functions the consumers call."""
    for event in one.history:
        # Before the enrollment no conversion is possible: only the purchase projection.
        await analytics.record_purchase(session, event)
    exited = one.exit
    row = simulate_batch.exited_enrollment(one.enrollment_id, one.enrolled_at, exited)
    enrollment = Enrollment(**(row | simulate_batch.RUNNING))
    session.add(enrollment)
    if one.message is not None:
        await analytics.record_message(session, "message.sent", one.message, COSTS)
    if one.grant is not None:
        await analytics.record_grant(session, one.grant)
    if one.purchase is not None:
        await _purchase(session, one.purchase)
    await session.flush()
    await record_exit(session, exited)


def _message(chain_id: str, delivery_id: str) -> MessagePayload:
    return MessagePayload(
        delivery_id=delivery_id,
        channel="email",
        template="cart_reminder",
        source_ref=f"chain:{chain_id}:v1:mail",
    )


def _grant(scenario: Scenario, chain_id: str, customer: Customer, t0: datetime) -> BonusGranted:
    amount = max(scenario.grant_points, customer.redeems)
    grant = BonusGrantedPayload(
        grant_id=_grant_id(customer),
        amount=amount,
        active_from=t0,
        expires_at=t0 + WINDOW,
        source="promo",
        reference=f"chain:{chain_id}:v1:gift",
    )
    return BonusGranted(customer_id=customer.id, payload=grant)


def _lot(customer: Customer) -> LotPoints:
    return LotPoints(
        lot_id=f"lot-{customer.id}",
        points=customer.redeems,
        source="promo",
        grant_id=_grant_id(customer),
    )


def _grant_id(customer: Customer) -> str:
    """A grant id as loyalty makes them: a UUID (36 characters in every store)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"grant/{customer.id}"))


async def _purchase(session: Any, event: PurchaseConfirmed) -> None:
    """What the consumer does with a purchase.confirmed, minus the Temporal signals."""
    await analytics.record_purchase(session, event)
    candidates = await repository.purchase_candidates(
        session, event.customer_id or "", analytics.lookback_from(event.payload.purchased_at)
    )
    await analytics.record_conversions(session, event, candidates)


def purchased(
    customer_id: str, at: datetime, paid: int, lots: list[LotPoints], txid: str | None = None
) -> PurchaseConfirmed:
    redeemed = sum(lot.points for lot in lots)
    payload = PurchaseConfirmedPayload(
        txid=txid or str(uuid.uuid4()),
        store_id="sim",
        channel="offline",
        lines=[],
        total_amount=paid,
        paid_amount=paid,
        redeemed_points=redeemed,
        accrued_points=0,
        purchased_at=at,
        redeemed_lots=lots,
    )
    return PurchaseConfirmed(customer_id=customer_id, payload=payload)


def row(name: str, result: Result, *extra: str) -> str:
    f = result.figures
    uplift_truth, revenue_truth = result.truth_conversion, result.truth_revenue_per_customer
    cells = [
        name,
        f"{f['treated']}/{f['holdout']}",
        f"{uplift_truth:+.4f}",
        _interval(f["uplift"], 1, "+.4f", result.covers("uplift", uplift_truth)),
        f"{revenue_truth / 100:+.2f}",
        _interval(
            f["revenue_per_customer"],
            100,
            "+.2f",
            result.covers("revenue_per_customer", revenue_truth),
        ),
        _interval(
            f["revenue_per_customer_cuped"],
            100,
            "+.2f",
            result.covers("revenue_per_customer_cuped", revenue_truth),
        ),
        _number(f["incremental_roi"]),
        _number(result.truth_roi),
        *extra,
    ]
    return "| " + " | ".join(cells) + " |"


def _interval(block: dict[str, Any], unit: int, spec: str, covered: bool) -> str:
    low, mid, high = (block[k] / unit for k in ("ci95_low", "difference", "ci95_high"))
    verdict = "covers" if covered else "MISSES"
    return f"{mid:{spec}} [{low:{spec}}, {high:{spec}}] {verdict}"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


COLUMNS = (
    "effect",
    "treated/holdout",
    "true uplift",
    "uplift [95 % CI]",
    "true revenue/customer",
    "estimate [Welch 95 % CI]",
    "CUPED [95 % CI]",
    "incremental ROI",
    "true ROI",
)


def header(*extra: str) -> str:
    names = (*COLUMNS, *extra)
    return "| " + " | ".join(names) + " |\n|" + "---|" * len(names)


HEADER = header()


async def main(args: argparse.Namespace) -> None:
    url = args.database_url or _new_sqlite()
    print(HEADER)
    names = ["worked_example"] if args.worked_example else args.effects.split(",")
    for name in names:
        scenario = scenario_for(name, args)
        chain_id = f"sim_{name}_{args.seed}"
        if args.in_memory:
            result = in_memory(scenario, chain_id)
        else:
            result = await simulate(scenario, url, chain_id)
        print(row(name, result), flush=True)


def scenario_for(name: str, args: argparse.Namespace) -> Scenario:
    dp, db = EFFECTS.get(name, (0.0, 0))
    return Scenario(
        customers=1000 if name == "worked_example" else args.customers,
        seed=args.seed,
        holdout_share=args.holdout_share,
        conversion_effect=dp,
        basket_effect=db,
        worked_example=name == "worked_example",
    )


def _new_sqlite() -> str:
    Path("run/data").mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///./run/data/simulate-{uuid.uuid4().hex[:8]}.db"


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parse.add_argument("--customers", type=int, default=10_000)
    parse.add_argument("--seed", type=int, default=1)
    parse.add_argument("--holdout-share", type=float, default=0.1)
    parse.add_argument("--effects", default="none,small,large", help="of " + ", ".join(EFFECTS))
    parse.add_argument("--worked-example", action="store_true", help="issue 15's example")
    parse.add_argument("--database-url", help="default: a new SQLite file under run/data/")
    parse.add_argument(
        "--in-memory",
        action="store_true",
        help="the report's arithmetic without the database (fast; same figures)",
    )
    return parse


if __name__ == "__main__":
    asyncio.run(main(parser().parse_args()))
