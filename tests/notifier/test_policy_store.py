"""The cap and the pause against the real Redis: one EVALSHA per decision, atomic."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from kit.stack import Infra, free_port
from kit.testing import unique
from notifier.policy_store import PolicyStore, RedisError, Seed, Verdict

AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
async def redis(infra: Infra) -> AsyncIterator[Redis]:
    client = Redis.from_url(infra.redis_url, socket_timeout=2)
    yield client
    await client.aclose()


async def decide(
    store: PolicyStore,
    customer: str,
    at: datetime = AT,
    cap: int = 3,
    pause: int = 0,
    critical: bool = False,
    key: str | None = None,
    seed: Seed | None = None,
) -> Verdict:
    day = at.date().isoformat()

    async def recorded() -> Seed:
        return seed or Seed(0, -1)

    return await store.decide(
        customer,
        day,
        at,
        cap,
        pause,
        critical,
        decision_key=key or unique("decision-"),
        seed=recorded,
    )


async def test_a_day_redis_knows_nothing_of_starts_from_the_recorded_sends(
    redis: Redis,
) -> None:
    """As after a restart with empty data: two sent today, the last a minute ago."""
    store, customer = PolicyStore(redis), str(uuid.uuid4())
    seed = Seed(count=2, last=int((AT - timedelta(minutes=1)).timestamp()))
    held = await decide(store, customer, pause=600, seed=seed)
    assert (held.allowed, held.reason) == (False, "pause")
    later = AT + timedelta(minutes=10)
    assert (await decide(store, customer, later, pause=600, seed=seed)).value == 3
    capped = await decide(store, customer, later + timedelta(minutes=10), seed=seed)
    assert (capped.allowed, capped.reason) == (False, "daily_cap")


async def test_only_a_customer_redis_knows_nothing_of_is_seeded(redis: Redis) -> None:
    store, customer = PolicyStore(redis), str(uuid.uuid4())
    first = await _commands(redis)
    assert (await decide(store, customer)).allowed
    seeded = await _commands(redis)
    assert seeded["evalsha"] - first.get("evalsha", 0) == 2  # unseeded, then with the seed
    assert (await decide(store, customer, AT + timedelta(days=1))).allowed  # a new day
    assert (await _commands(redis))["evalsha"] - seeded["evalsha"] == 1


async def test_twenty_concurrent_senders_never_pass_the_daily_cap(redis: Redis) -> None:
    store, customer = PolicyStore(redis), str(uuid.uuid4())
    verdicts = await asyncio.gather(*(decide(store, customer) for _ in range(20)))
    assert sum(v.allowed for v in verdicts) == 3
    assert {v.reason for v in verdicts if not v.allowed} == {"daily_cap"}
    assert (await decide(store, customer, AT + timedelta(days=1))).allowed


async def test_the_minimum_pause_holds_the_next_message_back(redis: Redis) -> None:
    store, customer = PolicyStore(redis), str(uuid.uuid4())
    assert (await decide(store, customer, pause=600)).allowed
    held = await decide(store, customer, AT + timedelta(seconds=100), pause=600)
    assert (held.allowed, held.reason) == (False, "pause")
    assert held.value == int((AT + timedelta(seconds=600)).timestamp())
    assert (await decide(store, customer, AT + timedelta(seconds=600), pause=600)).allowed


async def test_critical_messages_bypass_the_cap_and_the_pause_but_are_counted(
    redis: Redis,
) -> None:
    store, customer = PolicyStore(redis), str(uuid.uuid4())
    for _ in range(5):
        assert (await decide(store, customer, cap=1, pause=3600, critical=True)).allowed
    refused = await decide(store, customer, cap=1, pause=3600)
    assert (refused.allowed, refused.reason) == (False, "daily_cap")


async def test_a_repeated_decision_gets_the_same_answer_and_is_counted_once(
    redis: Redis,
) -> None:
    store, customer = PolicyStore(redis), str(uuid.uuid4())
    first = await decide(store, customer, cap=2, key="delivery-1:0")
    repeats = await asyncio.gather(
        *(decide(store, customer, cap=2, key="delivery-1:0") for _ in range(5))
    )
    assert {first, *repeats} == {Verdict(True, "allowed", 1)}
    assert (await decide(store, customer, cap=2, key="delivery-2:0")).value == 2
    refused = await decide(store, customer, cap=2, key="delivery-3:0")
    assert (refused.allowed, refused.reason) == (False, "daily_cap")


async def test_one_round_trip_per_decision(redis: Redis) -> None:
    store, customer = PolicyStore(redis), str(uuid.uuid4())
    await decide(store, customer)  # loads the script once
    before = await _commands(redis)
    await decide(store, customer)
    after = await _commands(redis)
    assert after.get("evalsha", 0) - before.get("evalsha", 0) == 1
    assert after.get("eval", 0) == before.get("eval", 0)


async def test_concurrent_decisions_share_a_few_connections_one_evalsha_each(
    infra: Infra,
) -> None:
    """A campaign fanning out: 500 decisions at once leave pipelined on at most 4 connections."""
    client = Redis.from_url(infra.redis_url, socket_timeout=2)
    store = PolicyStore(client, connections=4)
    customers = [str(uuid.uuid4()) for _ in range(500)]
    await decide(store, "warm-up")
    # Each customer known to Redis already: one more is seeded first (a test of its own).
    await asyncio.gather(*(decide(store, c) for c in customers))
    before, accepted = await _commands(client), await _connections_accepted(client)
    verdicts = await asyncio.gather(*(decide(store, c) for c in customers))
    after, opened = await _commands(client), await _connections_accepted(client)
    await client.aclose()
    assert verdicts == [Verdict(True, "allowed", 2)] * 500
    assert after["evalsha"] - before["evalsha"] == 500
    assert opened - accepted <= 3  # the warm-up's connection is reused


async def test_a_flushed_script_cache_is_loaded_again(redis: Redis) -> None:
    store, customer = PolicyStore(redis), str(uuid.uuid4())
    assert (await decide(store, customer)).allowed
    await redis.script_flush()
    verdicts = await asyncio.gather(*(decide(store, customer) for _ in range(4)))
    assert [v.allowed for v in verdicts].count(True) == 2


async def _commands(redis: Redis) -> dict[str, int]:
    stats = await redis.info("commandstats")
    return {key.removeprefix("cmdstat_"): int(value["calls"]) for key, value in stats.items()}


async def _connections_accepted(redis: Redis) -> int:
    return int((await redis.info("stats"))["total_connections_received"])


async def test_an_unreachable_redis_raises_for_the_caller_to_fail_open_or_closed() -> None:
    down = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    with pytest.raises(RedisError):
        await decide(PolicyStore(down), "c")
    await down.aclose()
