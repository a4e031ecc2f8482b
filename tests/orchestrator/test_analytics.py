"""The analytics report from real events through the real consumers, on PostgreSQL, with
loyalty's real API valuing points: incremental ROI, cascades, SMS segments, returns, the
chains' own redeemed points, 64-bit money and the attribution window."""

import asyncio
import uuid
from collections.abc import Awaitable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.bus import EventBus
from kit.contracts.loyalty import (
    BonusGranted,
    BonusGrantedPayload,
    LotPoints,
    PurchaseConfirmed,
    PurchaseConfirmedPayload,
    PurchaseReturned,
    PurchaseReturnedPayload,
)
from kit.contracts.notifier import MessagePayload, MessageSent
from kit.db import create_engine, session_factory
from kit.testing import wait_for
from orchestrator.enrollments import record_exit
from orchestrator.models import CustomerPurchase, Enrollment
from orchestrator.workflows import chain_workflow_id
from orchestrator.workflows.messages import EnrollmentExit
from tests.orchestrator.conftest import Orchestrator

pytestmark = pytest.mark.usefixtures("consumers")
NOW = datetime.now(UTC)


def chain_body(chain_id: str, window: str = "P14D", holdout_share: float = 0.1) -> dict[str, Any]:
    return {
        "id": chain_id,
        "name": chain_id,
        "trigger": {"kind": "event", "event": "cart.updated"},
        "holdout_share": holdout_share,
        "goal": {"event": "purchase", "attribution_window": window},
        "steps": [
            {"kind": "send", "id": "mail", "template": "cart_reminder"},
            {"kind": "wait", "id": "hold", "wait": {"type": "duration", "duration": "P30D"}},
        ],
    }


async def published(orchestrator: Orchestrator, body: dict[str, Any]) -> None:
    api = orchestrator.api
    assert (await api.post("/chains", json=body)).status_code == 201
    assert (await api.post(f"/chains/{body['id']}/publish")).status_code == 200


async def enrolled(
    orchestrator: Orchestrator,
    chain_id: str,
    holdout: Iterable[bool],
    status: str = "exited",
    enrolled_at: datetime = NOW - timedelta(days=2),
) -> list[str]:
    """Enrollment rows as the consumer writes them (the workflows themselves do not matter to
    the report); exited ones have touched the customer when they started."""
    engine = create_engine(orchestrator.settings.database_url)
    customers = []
    async with session_factory(engine)() as session:
        for side in holdout:
            customer = str(uuid.uuid4())
            customers.append(customer)
            session.add(
                Enrollment(
                    id=str(uuid.uuid4()),
                    chain_id=chain_id,
                    version=1,
                    customer_id=customer,
                    workflow_id=chain_workflow_id(chain_id, customer),
                    trigger_event_id=str(uuid.uuid4()),
                    holdout=side,
                    status=status,
                    exit_reason=None if status == "active" else "completed",
                    touches=1,
                    enrolled_at=enrolled_at,
                    last_touch_at=None if status == "active" else enrolled_at,
                    exited_at=None if status == "active" else enrolled_at,
                )
            )
        await session.commit()
    await engine.dispose()
    return customers


def purchase(
    customer: str, paid: int, lots: list[LotPoints] | None = None, txid: str | None = None
) -> PurchaseConfirmed:
    redeemed = sum(lot.points for lot in lots or [])
    payload = PurchaseConfirmedPayload(
        txid=txid or str(uuid.uuid4()),
        store_id="s1",
        channel="offline",
        lines=[],
        total_amount=paid + redeemed * 100,
        paid_amount=paid,
        redeemed_points=redeemed,
        accrued_points=0,
        purchased_at=NOW,
        redeemed_lots=lots or [],
    )
    return PurchaseConfirmed(customer_id=customer, payload=payload)


def granted(customer: str, grant_id: str, amount: int, reference: str) -> BonusGranted:
    payload = BonusGrantedPayload(
        grant_id=grant_id,
        amount=amount,
        active_from=NOW - timedelta(days=1),
        expires_at=NOW + timedelta(days=30),
        source="promo",
        reference=reference,
    )
    return BonusGranted(customer_id=customer, payload=payload)


def message(customer: str, chain_id: str, channel: str, delivery: str, segments: int = 1) -> Any:
    payload = MessagePayload(
        delivery_id=delivery,
        channel=channel,
        template="cart_reminder",
        source_ref=f"chain:{chain_id}:v1:mail",
        segments=segments,
    )
    return MessageSent(customer_id=customer, payload=payload)


async def publish_all(bus: EventBus, events: list[Any]) -> None:
    for start in range(0, len(events), 100):
        batch: list[Awaitable[None]] = [bus.publish(e) for e in events[start : start + 100]]
        await asyncio.gather(*batch)


async def report_when(
    orchestrator: Orchestrator, chain_id: str, ready: Any, what: str, timeout: float = 90.0
) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        answer = await orchestrator.api.get(f"/analytics/chains/{chain_id}")
        assert answer.status_code == 200, answer.text
        version: dict[str, Any] = answer.json()["versions"][0]
        return version if ready(version) else None

    result: dict[str, Any] = await wait_for(found, what, timeout=timeout)
    return result


async def test_the_worked_example_has_no_uplift_and_loses_what_it_cost(
    orchestrator: Orchestrator, bus: EventBus
) -> None:
    """900 treated, 90 buy 100.00; 100 in the holdout, 10 buy; 900 e-mails, 2 000 redeemed
    points of the chain's grant. Gross revenue over cost said ROI = 309; nothing was gained."""
    await published(orchestrator, chain_body("example"))
    treated = await enrolled(orchestrator, "example", [False] * 900)
    holdout = await enrolled(orchestrator, "example", [True] * 100)
    await bus.publish(granted(treated[0], "g-example", 2000, "chain:example:v1:gift"))
    await report_when(orchestrator, "example", lambda r: r["points_granted"] == 2000, "the grant")
    chain_lot = LotPoints(lot_id="lot-1", points=2000, source="promo", grant_id="g-example")
    own_lot = LotPoints(lot_id="lot-2", points=300, source="purchase")  # not the chain's
    events = [purchase(treated[0], 10_000, [chain_lot, own_lot])]
    events += [purchase(c, 10_000) for c in treated[1:90] + holdout[:10]]
    events += [message(c, "example", "email", str(uuid.uuid4())) for c in treated]
    await publish_all(bus, events)

    def complete(r: dict[str, Any]) -> bool:
        return sum(r["conversions"].values()) == 100 and r["messages_by_channel"] != {}

    # A thousand events through one consumer: generous on a loaded two-core machine.
    await report_when(orchestrator, "example", complete, "every purchase", timeout=400)
    report = await report_when(
        orchestrator,
        "example",
        lambda r: r["messages_by_channel"]["email"]["sent"] == 900,
        "every e-mail",
        timeout=400,
    )
    assert report["uplift"]["difference"] == 0
    assert report["uplift"]["ci95_low"] < 0 < report["uplift"]["ci95_high"]
    assert report["incremental_revenue"]["estimate"] == 0
    assert report["attributed_revenue"] == 900_000
    assert report["cost"] == {
        "messages": 900,
        "sms_segments": 0,
        "points_redeemed": 2000,
        "points": 200_000,  # loyalty: a point pays for 100 minor units
        "total": 200_900,
    }
    assert report["incremental_roi"] == -1.0
    assert report["revenue_per_customer"]["treated"] == report["revenue_per_customer"]["holdout"]
    assert report["minimum_detectable_effect"]["conversion"] == pytest.approx(0.0886, abs=1e-3)


async def test_a_receipt_above_two_to_the_31_minor_units_converts(
    orchestrator: Orchestrator, bus: EventBus
) -> None:
    await published(orchestrator, chain_body("big"))
    [customer] = await enrolled(orchestrator, "big", [False])
    await bus.publish(purchase(customer, 3_000_000_000))
    report = await report_when(
        orchestrator, "big", lambda r: r["conversions"]["treated"] == 1, "the conversion"
    )
    assert report["attributed_revenue"] == 3_000_000_000


async def test_every_cascade_attempt_is_charged_and_an_sms_per_segment(
    orchestrator: Orchestrator, bus: EventBus
) -> None:
    await published(orchestrator, chain_body("cascade"))
    [customer] = await enrolled(orchestrator, "cascade", [False])
    delivery = str(uuid.uuid4())
    for channel, segments in (("push", 1), ("email", 1), ("sms", 3)):
        await bus.publish(message(customer, "cascade", channel, delivery, segments))
    report = await report_when(
        orchestrator, "cascade", lambda r: len(r["messages_by_channel"]) == 3, "three attempts"
    )
    assert report["messages_by_channel"]["sms"] == {"sent": 1, "failed": 0, "cost": 18}
    assert report["cost"]["messages"] == 1 + 1 + 6 * 3
    assert report["cost"]["sms_segments"] == 3


async def test_returns_come_off_revenue_and_restored_chain_points_off_cost(
    orchestrator: Orchestrator, bus: EventBus
) -> None:
    await published(orchestrator, chain_body("returned"))
    [customer] = await enrolled(orchestrator, "returned", [False])
    await bus.publish(granted(customer, "g-ret", 800, "chain:returned:v1:gift"))
    await report_when(orchestrator, "returned", lambda r: r["points_granted"] == 800, "the grant")
    lot = LotPoints(lot_id="lot-r", points=800, source="promo", grant_id="g-ret")
    sale = purchase(customer, 10_000, [lot], txid="tx-returned")
    await bus.publish(sale)
    await report_when(
        orchestrator, "returned", lambda r: r["cost"]["points_redeemed"] == 800, "the redemption"
    )
    back = PurchaseReturnedPayload(
        txid="tx-returned",
        store_id="s1",
        return_id="ret-1",
        lines=[],
        refunded_amount=4000,
        reversed_points=0,
        restored_points=500,
        returned_at=NOW,
        restored_lots=[LotPoints(lot_id="lot-r", points=500, source="promo", grant_id="g-ret")],
    )
    await bus.publish(PurchaseReturned(customer_id=customer, payload=back))
    report = await report_when(
        orchestrator, "returned", lambda r: r["returned_revenue"] == 4000, "the return"
    )
    assert report["attributed_revenue"] == 6000
    assert report["cost"]["points_redeemed"] == 300
    assert report["cost"]["points"] == 30_000


async def test_a_purchase_after_the_window_of_a_running_enrollment_stops_counting_at_exit(
    orchestrator: Orchestrator, bus: EventBus
) -> None:
    """Touched 25 days ago, a 14-day window: a purchase now is no conversion, even though the
    enrollment was still waiting when it came."""
    await published(orchestrator, chain_body("late", window="P14D"))
    started = NOW - timedelta(days=25)
    [customer] = await enrolled(orchestrator, "late", [False], "active", started)
    await bus.publish(purchase(customer, 5000))
    await report_when(
        orchestrator, "late", lambda r: r["conversions"]["treated"] == 1, "the provisional one"
    )
    engine = create_engine(orchestrator.settings.database_url)
    async with session_factory(engine)() as session:
        exit_ = EnrollmentExit(
            workflow_id=chain_workflow_id("late", customer),
            enrollment_key=await _key(session, customer),
            chain_id="late",
            version=1,
            customer_id=customer,
            reason="purchase",
            touches=1,
            holdout=False,
            last_touch_at=started,
            exited_at=NOW,
        )
        await record_exit(session, exit_)
        await session.commit()
    await engine.dispose()
    report = await report_when(
        orchestrator, "late", lambda r: r["exited"] == {"purchase": 1}, "the exit"
    )
    assert report["conversions"] == {"treated": 0, "holdout": 0}
    assert report["attributed_revenue"] == 0


async def _key(session: AsyncSession, customer: str) -> str:
    found = await session.scalar(
        select(Enrollment.trigger_event_id).where(Enrollment.customer_id == customer)
    )
    return str(found)


def at_store(event: PurchaseConfirmed, store_id: str, paid: int) -> PurchaseConfirmed:
    payload = event.payload.model_copy(
        update={"store_id": store_id, "paid_amount": paid, "total_amount": paid}
    )
    return event.model_copy(update={"id": uuid.uuid4(), "payload": payload})


def store_return(customer: str, store_id: str, txid: str, amount: int) -> PurchaseReturned:
    back = PurchaseReturnedPayload(
        txid=txid,
        store_id=store_id,
        return_id="ret-1",  # return ids are unique per purchase only
        lines=[],
        refunded_amount=amount,
        reversed_points=0,
        restored_points=0,
        returned_at=NOW,
    )
    return PurchaseReturned(customer_id=customer, payload=back)


async def purchase_rows(orchestrator: Orchestrator, customer: str) -> dict[str, tuple[int, int]]:
    """The customer's recorded purchases: key to (paid, refunded)."""
    engine = create_engine(orchestrator.settings.database_url)
    async with session_factory(engine)() as session:
        rows = await session.execute(
            select(
                CustomerPurchase.purchase_key,
                CustomerPurchase.paid_amount,
                CustomerPurchase.refunded,
            ).where(CustomerPurchase.customer_id == customer)
        )
        found = {key: (paid, refunded) for key, paid, refunded in rows}
    await engine.dispose()
    return found


async def test_equal_txids_at_two_stores_are_two_purchases_and_a_return_refunds_its_own(
    orchestrator: Orchestrator, bus: EventBus
) -> None:
    await published(orchestrator, chain_body("twostores"))
    [customer] = await enrolled(orchestrator, "twostores", [False])
    first = purchase(customer, 10_000, txid="till-1")
    await bus.publish(first)
    await report_when(
        orchestrator, "twostores", lambda r: r["attributed_revenue"] == 10_000, "the conversion"
    )
    await bus.publish(at_store(first, "s2", 5_000))

    async def both() -> dict[str, tuple[int, int]] | None:
        rows = await purchase_rows(orchestrator, customer)
        return rows if len(rows) == 2 else None

    assert await wait_for(both, "both stores' purchases", timeout=90) == {
        "s1/till-1": (10_000, 0),
        "s2/till-1": (5_000, 0),
    }
    await bus.publish(store_return(customer, "s2", "till-1", 5_000))

    async def refunded() -> dict[str, tuple[int, int]] | None:
        rows = await purchase_rows(orchestrator, customer)
        return rows if rows.get("s2/till-1") == (5_000, 5_000) else None

    assert (await wait_for(refunded, "the refund", timeout=90))["s1/till-1"] == (10_000, 0)
    report = await report_when(orchestrator, "twostores", lambda r: True, "the report")
    assert (report["attributed_revenue"], report["returned_revenue"]) == (10_000, 0)


async def test_a_return_finds_a_purchase_recorded_before_purchases_had_stores(
    orchestrator: Orchestrator, bus: EventBus
) -> None:
    customer = str(uuid.uuid4())
    engine = create_engine(orchestrator.settings.database_url)
    async with session_factory(engine)() as session:
        # As migration 0016 leaves a purchase recorded before it: keyed by the bare txid.
        session.add(
            CustomerPurchase(
                purchase_key="till-old",
                customer_id=customer,
                purchased_at=NOW - timedelta(days=3),
                paid_amount=3_000,
                refunded=0,
            )
        )
        await session.commit()
    await engine.dispose()
    await bus.publish(store_return(customer, "s1", "till-old", 1_000))

    async def refunded() -> dict[str, tuple[int, int]] | None:
        rows = await purchase_rows(orchestrator, customer)
        return rows if rows["till-old"][1] else None

    assert await wait_for(refunded, "the refund", timeout=90) == {"till-old": (3_000, 1_000)}


async def test_the_daily_series_has_each_arms_revenue_in_total_and_per_member(
    orchestrator: Orchestrator, bus: EventBus
) -> None:
    """Four treated and three in the holdout, enrolled two days ago; today two treated buy for
    100.00 and 61.00, one of the holdout for 30.00: per member 40.25 against 10.00."""
    await published(orchestrator, chain_body("daily"))
    treated = await enrolled(orchestrator, "daily", [False] * 4)
    holdout = await enrolled(orchestrator, "daily", [True] * 3)
    sales = [purchase(treated[0], 10_000), purchase(treated[1], 6_100)]
    await publish_all(bus, [*sales, purchase(holdout[0], 3_000)])

    async def today() -> dict[str, Any] | None:
        answer = await orchestrator.api.get("/analytics/chains/daily/steps")
        assert answer.status_code == 200, answer.text
        days = {d["date"]: d for d in answer.json()["daily"]}
        day = days.get(NOW.date().isoformat())
        return day if day and sum(day["conversions"].values()) == 3 else None

    day = await wait_for(today, "the three conversions", timeout=120)
    assert day["revenue"] == {"treated": 16_100, "holdout": 3_000}
    assert day["revenue_per_member"] == {"treated": 4_025, "holdout": 1_000}
