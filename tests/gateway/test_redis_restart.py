"""A Redis restart under the gateway: the next requests succeed, and a 503 says why in the log."""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from gateway.app import create_app
from kit.db import SessionFactory
from kit.stack import Infra, ProcessGroup, free_port, redis_proc
from kit.testing import app_client
from tests.gateway.conftest import CUSTOMER, Gateway, bearer, settings_for

VIEW = {"type": "product.viewed", "sku": "SKU-1"}


class OwnRedis:
    """A redis-server of this test's own, to restart at will."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.proc = redis_proc(self.port, root / "data")
        self.group = ProcessGroup(root / "logs")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.group.start_and_wait(self.proc, timeout=60)

    def stop(self) -> None:
        self.group.stop("redis")


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    redis = OwnRedis(tmp_path)
    redis.start()
    yield redis
    redis.group.stop_all()


@pytest.fixture
async def over_own_redis(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory, own_redis: OwnRedis
) -> AsyncIterator[Gateway]:
    settings = settings_for(infra, gateway_db, redis_url=own_redis.url)
    async with app_client(create_app(settings)) as client:
        yield Gateway(settings, gateway_sessions, client)


async def test_the_gateway_recovers_at_once_after_a_redis_restart(
    over_own_redis: Gateway, own_redis: OwnRedis
) -> None:
    key = await over_own_redis.key("app", customer_id=CUSTOMER)

    async def view() -> int:
        # As a till sends it: the idempotency record is the request's first use of Redis.
        headers = bearer(key, **{"Idempotency-Key": uuid.uuid4().hex})
        answer = await over_own_redis.client.post("/v1/events", json=VIEW, headers=headers)
        return answer.status_code

    # Many requests at once leave many connections in the pool, each to die with the restart.
    assert set(await asyncio.gather(*(view() for _ in range(16)))) == {202}
    await asyncio.to_thread(own_redis.stop)
    await asyncio.to_thread(own_redis.start)
    after = [await view() for _ in range(24)]
    assert after == [202] * 24


async def test_a_503_is_logged_with_its_cause(
    over_own_redis: Gateway, own_redis: OwnRedis, caplog: pytest.LogCaptureFixture
) -> None:
    key = await over_own_redis.key("app", customer_id=CUSTOMER)
    await asyncio.to_thread(own_redis.stop)
    with caplog.at_level(logging.WARNING):
        answer = await over_own_redis.client.post("/v1/events", json=VIEW, headers=bearer(key))
    assert (answer.status_code, answer.json()["code"]) == (503, "rate_limiter_unavailable")
    logged = [
        r.getMessage() for r in caplog.records if "rate_limiter_unavailable" in r.getMessage()
    ]
    assert logged and "ConnectionError" in logged[0], caplog.text
