"""The worker as it runs in production, in process: NATS consumers, relay, Temporal schedule."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from nats.aio.msg import Msg
from temporalio.client import Client

from kit.bus import EventBus
from kit.db import SessionFactory, unit_of_work
from kit.resources import open_resources
from kit.stack import Infra
from kit.temporal import connect_temporal
from kit.testing import wait_for
from segments.recompute import SegmentConfig, recompute_all
from segments.settings import SegmentsSettings
from segments.worker import loops_for
from tests.segments.conftest import memberships_of, purchase, registered


@pytest.fixture
def settings(infra: Infra, postgres_url: str, event_namespace: str) -> SegmentsSettings:
    return SegmentsSettings(
        database_url=postgres_url, event_namespace=event_namespace, **infra.servers
    )


@pytest.fixture
async def running_worker(
    settings: SegmentsSettings, sessions: SessionFactory
) -> AsyncIterator[Client]:
    stop = asyncio.Event()
    async with open_resources(settings) as resources:
        tasks = [asyncio.create_task(c) for c in await loops_for(settings)(resources, stop)]
        client = await connect_temporal(settings.temporal_address)
        try:
            yield client
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await client.get_schedule_handle(settings.schedule_id).delete()


async def test_events_from_nats_move_memberships_and_leave_through_the_outbox(
    running_worker: Client, bus: EventBus, sessions: SessionFactory
) -> None:
    entered: list[dict[str, Any]] = []

    async def collect(msg: Msg) -> None:
        entered.append(json.loads(msg.data))

    sub = await bus.nc.subscribe(bus.full_subject("segments.segment_entered.v1"), cb=collect)
    member = registered(at=datetime.now(UTC))
    assert member.customer_id
    await bus.publish(member)
    await bus.publish(purchase(member.customer_id, datetime.now(UTC)))

    async def active() -> bool:
        return "recency.active" in await memberships_of(sessions, member.customer_id or "")

    await wait_for(active, "the purchase to put the customer in the active bucket")
    await wait_for(
        lambda: any(e["payload"]["segment_id"] == "recency.active" for e in entered),
        "segment.entered on NATS",
    )
    await sub.unsubscribe()


async def test_the_daily_schedule_runs_the_recompute_that_catches_time_driven_moves(
    running_worker: Client, settings: SegmentsSettings, bus: EventBus, sessions: SessionFactory
) -> None:
    member = registered(at=datetime.now(UTC) - timedelta(days=90))
    assert member.customer_id
    await bus.publish(member)
    await bus.publish(purchase(member.customer_id, datetime.now(UTC) - timedelta(days=31)))

    async def in_bucket(bucket: str) -> bool:
        return bucket in await memberships_of(sessions, member.customer_id or "")

    await wait_for(lambda: in_bucket("recency.cooling"), "the projection")
    async with unit_of_work(sessions) as session:  # as it was two days ago: still active
        await recompute_all(session, SegmentConfig(), datetime.now(UTC) - timedelta(days=2))
    assert await in_bucket("recency.active")

    schedule = running_worker.get_schedule_handle(settings.schedule_id)
    description = await schedule.describe()
    next_run = description.info.next_action_times[0].astimezone(UTC)
    assert (next_run.hour, next_run.minute) == (2, 15)  # the default cron, "15 2 * * *"
    await schedule.trigger()

    await wait_for(lambda: in_bucket("recency.cooling"), "the scheduled recompute")
