"""The outbox under crashes: an event that follows a commit arrives, and arrives once."""

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from nats.aio.client import Client as NATS

from kit.bus import EventBus, connect_nats
from kit.contracts import MemberRegistered
from kit.stack import Platform
from kit.testing import wait_for

from .test_skeleton import mail_to, register

pytestmark = pytest.mark.e2e


async def outbox_row(platform: Platform, event_customer: str) -> asyncpg.Record | None:
    url = platform.database_urls["loyalty"].replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchrow(
            "SELECT event_id, published_at FROM outbox "
            "WHERE position(convert_to($1, 'UTF8') in data) > 0",
            event_customer,
        )
    finally:
        await conn.close()


async def stored_registrations(nc: NATS, platform: Platform) -> int:
    bus = EventBus(nc, platform.namespace)
    subject = bus.full_subject(MemberRegistered.subject())
    info = await bus.js.stream_info(bus.stream_name("loyalty"), subjects_filter=subject)
    return int((info.state.subjects or {}).get(subject, 0))


@pytest.fixture
async def nats_client(platform: Platform) -> AsyncIterator[NATS]:
    nc = await connect_nats(platform.env["LOYALTY_NATS_URL"], "e2e-observer")
    yield nc
    await nc.close()


async def test_an_event_committed_while_the_relay_is_dead_arrives_once_it_is_back(
    platform: Platform, nats_client: NATS
) -> None:
    before = await stored_registrations(nats_client, platform)
    platform.kill_worker("loyalty")
    email = f"dora-{uuid.uuid4().hex[:8]}@example.com"
    response = await register(platform, email)
    assert response.status_code == 201
    customer_id = response.json()["id"]

    row = await outbox_row(platform, customer_id)
    assert row is not None and row["published_at"] is None
    assert await stored_registrations(nats_client, platform) == before

    platform.start_worker("loyalty")
    await wait_for(lambda: mail_to(platform, email), "the welcome email")
    row = await outbox_row(platform, customer_id)
    assert row is not None and row["published_at"] is not None
    assert await stored_registrations(nats_client, platform) == before + 1
    assert len(await mail_to(platform, email)) == 1


async def test_a_relay_dying_between_publish_and_mark_duplicates_nothing(
    platform: Platform, nats_client: NATS
) -> None:
    platform.kill_worker("loyalty")
    before = await stored_registrations(nats_client, platform)
    email = f"emil-{uuid.uuid4().hex[:8]}@example.com"
    customer_id = (await register(platform, email)).json()["id"]

    crashing = platform.start_worker("loyalty", KIT_OUTBOX_CRASH_AFTER_PUBLISH="1")
    await wait_for(lambda: crashing.poll() is not None, "the relay to crash after publishing")
    assert crashing.returncode == 70
    row = await outbox_row(platform, customer_id)
    assert row is not None and row["published_at"] is None, "the mark must not have happened"
    assert await stored_registrations(nats_client, platform) == before + 1

    platform.start_worker("loyalty")
    await wait_for(lambda: outbox_row_published(platform, customer_id), "the row to be marked")
    await wait_for(lambda: mail_to(platform, email), "the welcome email")
    assert await stored_registrations(nats_client, platform) == before + 1
    assert len(await mail_to(platform, email)) == 1


async def outbox_row_published(platform: Platform, customer_id: str) -> bool:
    row = await outbox_row(platform, customer_id)
    return row is not None and row["published_at"] is not None
