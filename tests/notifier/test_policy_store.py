"""The cap and the pause against the real Redis: one EVALSHA per decision, atomic."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from kit.stack import Infra, free_port
from notifier.policy_store import PolicyStore, RedisError

AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
async def redis(infra: Infra) -> AsyncIterator[Redis]:
    client = Redis.from_url(infra.redis_url)
    yield client
    await client.aclose()


async def test_twenty_concurrent_senders_never_pass_the_daily_cap(redis: Redis) -> None:
    store, customer = PolicyStore(redis), str(uuid.uuid4())
    verdicts = await asyncio.gather(
        *(store.decide(customer, "2026-03-10", AT, 3, 0, critical=False) for _ in range(20))
    )
    assert sum(v.allowed for v in verdicts) == 3
    assert {v.reason for v in verdicts if not v.allowed} == {"daily_cap"}
    tomorrow = await store.decide(customer, "2026-03-11", AT + timedelta(days=1), 3, 0, False)
    assert tomorrow.allowed


async def test_the_minimum_pause_holds_the_next_message_back(redis: Redis) -> None:
    store, customer = PolicyStore(redis), str(uuid.uuid4())
    assert (await store.decide(customer, "d", AT, 3, 600, False)).allowed
    held = await store.decide(customer, "d", AT + timedelta(seconds=100), 3, 600, False)
    assert (held.allowed, held.reason) == (False, "pause")
    assert held.value == int((AT + timedelta(seconds=600)).timestamp())
    assert (await store.decide(customer, "d", AT + timedelta(seconds=600), 3, 600, False)).allowed


async def test_critical_messages_bypass_the_cap_and_the_pause_but_are_counted(
    redis: Redis,
) -> None:
    store, customer = PolicyStore(redis), str(uuid.uuid4())
    for _ in range(5):
        assert (await store.decide(customer, "d", AT, 1, 3600, critical=True)).allowed
    refused = await store.decide(customer, "d", AT, 1, 3600, critical=False)
    assert (refused.allowed, refused.reason) == (False, "daily_cap")


async def test_one_round_trip_per_decision(redis: Redis) -> None:
    store, customer = PolicyStore(redis), str(uuid.uuid4())
    await store.decide(customer, "d", AT, 3, 0, False)  # loads the script once
    before = await _commands(redis)
    await store.decide(customer, "d", AT, 3, 0, False)
    after = await _commands(redis)
    assert after.get("evalsha", 0) - before.get("evalsha", 0) == 1
    assert after.get("eval", 0) == before.get("eval", 0)


async def _commands(redis: Redis) -> dict[str, int]:
    stats = await redis.info("commandstats")
    return {key.removeprefix("cmdstat_"): int(value["calls"]) for key, value in stats.items()}


async def test_an_unreachable_redis_raises_for_the_caller_to_fail_open_or_closed() -> None:
    down = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    with pytest.raises(RedisError):
        await PolicyStore(down).decide("c", "d", AT, 3, 0, False)
    await down.aclose()
