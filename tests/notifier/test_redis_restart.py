"""Caps and pauses hold after Redis restarts with empty data: the day's counts are seeded from
the notifier's own decisions. A Redis server of this module's own, restarted between sends;
real workflows on the time-skipping server, the real SMTP sink."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from kit.stack import Infra, ProcessGroup, free_port, redis_proc
from kit.testing import unique, wait_for
from tests.notifier.conftest import Notifier, Sinks, skipping_notifier

NEVER_QUIET = {"quiet_start": "00:00", "quiet_end": "00:00"}


class OwnRedis:
    def __init__(self, root: Path) -> None:
        self.root, self.port, self.runs = root, free_port(), 0
        self.group = ProcessGroup(root / "logs")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.runs += 1  # no persistence and a fresh directory: it comes back empty
        self.group.start_and_wait(redis_proc(self.port, self.root / f"data-{self.runs}"))

    async def restart_empty(self) -> None:
        await asyncio.to_thread(self.group.stop, "redis")
        await asyncio.to_thread(self.start)


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[OwnRedis]:
    own = OwnRedis(tmp_path)
    own.start()
    yield own
    own.group.stop_all()


@pytest.fixture
async def notifier(
    infra: Infra,
    notifier_db: str,
    sinks: Sinks,
    time_skipping: WorkflowEnvironment,
    redis: OwnRedis,
) -> AsyncIterator[Notifier]:
    async with skipping_notifier(
        infra,
        notifier_db,
        sinks,
        time_skipping,
        redis_url=redis.url,
        policy_unavailable_retry_seconds=1,  # the first ask after the restart may find it away
    ) as running:
        yield running


def zone_at_midday(now: datetime) -> str:
    """A zone where it is around noon: the sends of a test stay on one local day."""
    offset = (12 - now.hour + 12) % 24 - 12
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


async def customer(notifier: Notifier, now: datetime) -> tuple[str, str]:
    email = f"{unique('r')}@example.com"
    zone = zone_at_midday(now)
    customer_id = await notifier.contact(email=email, consents={"email": True}, time_zone=zone)
    return customer_id, email


async def send(notifier: Notifier, customer_id: str) -> dict[str, str]:
    return await notifier.deliver(customer_id=customer_id, template="welcome_reminder")


async def test_the_daily_cap_holds_after_redis_restarts_empty(
    notifier: Notifier, redis: OwnRedis, time_skipping: WorkflowEnvironment
) -> None:
    await notifier.api.put(
        "/policies/program", json={"daily_cap": 2, "over_cap": "drop", **NEVER_QUIET}
    )
    customer_id, email = await customer(notifier, await time_skipping.get_current_time())
    for _ in range(2):
        delivery = await send(notifier, customer_id)
        assert (await notifier.handle(delivery["idempotency_key"]).result()).status == "sent"

    await redis.restart_empty()
    third = await send(notifier, customer_id)
    result = await notifier.handle(third["idempotency_key"]).result()
    assert result.status == "failed"
    assert (await notifier.delivery(third["id"]))["reason"] == "daily_cap"
    assert len(await notifier.mail_to(email)) == 2


async def test_a_pause_holds_after_redis_restarts_empty(
    notifier: Notifier, redis: OwnRedis, time_skipping: WorkflowEnvironment
) -> None:
    await notifier.api.put("/policies/program", json={"min_pause_seconds": 1800, **NEVER_QUIET})
    customer_id, email = await customer(notifier, await time_skipping.get_current_time())
    first = await send(notifier, customer_id)
    assert (await notifier.handle(first["idempotency_key"]).result()).status == "sent"

    await redis.restart_empty()
    second = await send(notifier, customer_id)

    async def paused() -> bool:
        return (await notifier.delivery(second["id"])).get("reason") == "pause"

    await wait_for(paused, "the pause to hold the second message back")
    assert len(await notifier.mail_to(email)) == 1
