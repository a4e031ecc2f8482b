"""Careful communication in the delivery workflow: quiet hours, pause, cap, bypass, Redis down."""

import asyncio
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis
from temporalio.testing import WorkflowEnvironment

from kit.clock import utcnow
from kit.db import create_engine, session_factory, unit_of_work
from kit.stack import free_port
from kit.testing import unique, wait_for
from notifier import deliveries
from notifier.policy_store import PolicyStore
from notifier.workflows.messages import DecideInput, DecisionOut, DeliveryRequest
from tests.notifier.conftest import Notifier

NEVER_QUIET = {"quiet_start": "00:00", "quiet_end": "00:00"}


def zone_in_its_night(now: datetime) -> str:
    """A zone east of UTC where it is night now; for UTC+1..+8 the night straddles 00:00 UTC."""
    for hours in range(1, 15):
        local_hour = (now.hour + hours) % 24
        if local_hour >= 21 or local_hour < 8:
            return f"Etc/GMT-{hours}"
    raise AssertionError("every hour is someone's night")


async def customer(notifier: Notifier, **extra: Any) -> tuple[str, str]:
    email = f"{unique('p')}@example.com"
    return await notifier.contact(email=email, consents={"email": True}, **extra), email


async def status_of(notifier: Notifier, delivery_id: str) -> str:
    return str((await notifier.delivery(delivery_id))["status"])


async def test_a_message_in_the_customer_s_night_waits_for_the_local_morning(
    notifier: Notifier, time_skipping: WorkflowEnvironment
) -> None:
    zone = zone_in_its_night(await time_skipping.get_current_time())
    customer_id, email = await customer(notifier, time_zone=zone)
    delivery = await notifier.deliver(customer_id=customer_id, template="welcome_reminder")
    await wait_for(lambda: _is(notifier, delivery["id"], "deferred"), "the deferral")
    deferred = (await notifier.decisions(delivery["id"]))[0]
    assert (deferred["action"], deferred["reason"]) == ("defer", "quiet_hours")
    opening = datetime.fromisoformat(deferred["until"])
    assert opening.astimezone(ZoneInfo(zone)).strftime("%H:%M") == "09:00"
    assert await notifier.mail_to(email) == []

    await time_skipping.sleep(
        opening - await time_skipping.get_current_time() + timedelta(minutes=1)
    )
    result = await notifier.handle(delivery["idempotency_key"]).result()
    assert result.status == "sent"
    assert len(await notifier.mail_to(email)) == 1
    sent = (await notifier.decisions(delivery["id"]))[-1]
    assert sent["action"] == "send"
    assert datetime.fromisoformat(sent["decided_at"]) >= opening


async def test_critical_messages_bypass_quiet_hours(
    notifier: Notifier, time_skipping: WorkflowEnvironment
) -> None:
    zone = zone_in_its_night(await time_skipping.get_current_time())
    customer_id, email = await customer(notifier, time_zone=zone)
    delivery = await notifier.deliver(
        customer_id=customer_id, template="welcome_reminder", critical=True
    )
    result = await notifier.handle(delivery["idempotency_key"]).result()
    assert result.status == "sent"
    assert len(await notifier.mail_to(email)) == 1
    assert [d["reason"] for d in await notifier.decisions(delivery["id"])] == ["allowed"]


async def test_the_minimum_pause_defers_the_second_message_durably(
    notifier: Notifier, time_skipping: WorkflowEnvironment
) -> None:
    await notifier.api.put("/policies/program", json={"min_pause_seconds": 1800, **NEVER_QUIET})
    customer_id, email = await customer(notifier)
    first = await notifier.deliver(customer_id=customer_id, template="welcome_reminder")
    assert (await notifier.handle(first["idempotency_key"]).result()).status == "sent"
    second = await notifier.deliver(customer_id=customer_id, template="welcome_reminder")
    await wait_for(lambda: _is(notifier, second["id"], "deferred"), "the pause")
    assert (await notifier.delivery(second["id"]))["reason"] == "pause"

    await time_skipping.sleep(timedelta(minutes=31))
    assert (await notifier.handle(second["idempotency_key"]).result()).status == "sent"
    assert len(await notifier.mail_to(email)) == 2


async def test_a_chain_override_drops_what_is_over_its_cap(notifier: Notifier) -> None:
    await notifier.api.put(
        "/policies/chain:winback", json={"daily_cap": 1, "over_cap": "drop", **NEVER_QUIET}
    )
    customer_id, email = await customer(notifier)
    results = []
    for step in ("a", "b"):
        delivery = await notifier.deliver(
            customer_id=customer_id, template="welcome_reminder", source=f"chain:winback:v1:{step}"
        )
        results.append(await notifier.handle(delivery["idempotency_key"]).result())
    assert [r.status for r in results] == ["sent", "failed"]
    dropped = await notifier.delivery(results[1].delivery_id)
    assert dropped["reason"] == "daily_cap"
    assert len(await notifier.mail_to(email)) == 1


async def test_twenty_concurrent_deliveries_to_one_customer_send_three(
    live_notifier: Notifier,
) -> None:
    notifier = live_notifier
    await notifier.api.put("/policies/program", json={"over_cap": "drop", **NEVER_QUIET})
    customer_id, email = await customer(notifier)
    started = await asyncio.gather(
        *(notifier.deliver(customer_id=customer_id, template="welcome_reminder") for _ in range(20))
    )
    results = await asyncio.gather(
        *(notifier.handle(d["idempotency_key"]).result() for d in started)
    )
    assert sorted(r.status for r in results).count("sent") == 3
    assert {r.status for r in results} == {"sent", "failed"}
    assert len(await notifier.mail_to(email)) == 3


async def test_without_redis_marketing_waits_and_critical_goes(notifier: Notifier) -> None:
    """Fail closed for marketing, open for critical: the Redis here has nothing listening."""
    dead = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    store = PolicyStore(dead)
    engine = create_engine(notifier.settings.database_url)
    customer_id, _email = await customer(notifier, time_zone="Etc/GMT")
    await notifier.api.put("/policies/program", json=NEVER_QUIET)
    try:
        decisions = {}
        for critical in (False, True):
            request = DeliveryRequest(
                idempotency_key=unique("k-"),
                customer_id=customer_id,
                template="welcome_reminder",
                source="campaign:x:1",
                critical=critical,
            )
            async with unit_of_work(session_factory(engine)) as session:
                delivery = await deliveries.open_delivery(session, request)
                ask = DecideInput(delivery_id=delivery.id, at=utcnow(), count=True)
                decisions[critical] = await deliveries.decide(
                    session, store, notifier.settings, ask
                )
    finally:
        await engine.dispose()
        await dead.aclose()
    assert (decisions[False].action, decisions[False].reason) == ("defer", "policy_unavailable")
    assert decisions[False].until is not None
    assert (decisions[True].action, decisions[True].reason) == (
        "send",
        "policy_unavailable_bypassed",
    )


class CommitFailed(Exception):
    pass


async def test_a_decision_retried_after_its_commit_failed_is_counted_once(
    notifier: Notifier,
) -> None:
    """Redis counted the send, then the transaction did not commit: the retry is not counted.

    The retry asks a second later, as a local activity replayed after a crash would.
    """
    await notifier.api.put(
        "/policies/program", json={"daily_cap": 1, "over_cap": "drop", **NEVER_QUIET}
    )
    customer_id, _email = await customer(notifier)
    redis = Redis.from_url(notifier.settings.redis_url, socket_timeout=2)
    engine = create_engine(notifier.settings.database_url)
    sessions, store, at = session_factory(engine), PolicyStore(redis), utcnow()

    async def decide(key: str, fail: bool = False, later: int = 0) -> tuple[str, DecisionOut]:
        request = DeliveryRequest(
            idempotency_key=key,
            customer_id=customer_id,
            template="welcome_reminder",
            source="campaign:x:1",
        )
        async with unit_of_work(sessions) as session:
            delivery_id = (await deliveries.open_delivery(session, request)).id
        ask = DecideInput(delivery_id=delivery_id, at=at + timedelta(seconds=later), count=True)
        async with unit_of_work(sessions) as session:
            decision = await deliveries.decide(session, store, notifier.settings, ask)
            if fail:
                raise CommitFailed()
        return delivery_id, decision

    first = unique("k-")
    try:
        with pytest.raises(CommitFailed):
            await decide(first, fail=True)
        delivery_id, retried = await decide(first, later=1)
        _other, second = await decide(unique("k-"), later=2)
    finally:
        await engine.dispose()
        await redis.aclose()
    assert (retried.action, retried.reason) == ("send", "allowed")
    assert (second.action, second.reason) == ("drop", "daily_cap")
    assert [d["reason"] for d in await notifier.decisions(delivery_id)] == ["allowed"]


async def _is(notifier: Notifier, delivery_id: str, status: str) -> bool:
    return await status_of(notifier, delivery_id) == status
