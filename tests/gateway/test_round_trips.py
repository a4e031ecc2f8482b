"""One Redis round trip per request for the key, its rate limit and idempotency where possible.

The gateway talks to the real Redis through a TCP relay that counts exchanges: a write of the
gateway's after an answer of Redis (or a connection's first) starts a round trip.
"""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from kit.db import SessionFactory
from kit.stack import Infra, free_port
from tests.gateway.conftest import CUSTOMER, Gateway, bearer, running_gateway

VIEW = {"type": "product.viewed", "sku": "SKU-1"}
OTHER_CUSTOMER = "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f"


@dataclass
class Relay:
    """Between the gateway and Redis; counts the round trips of every connection."""

    port: int
    round_trips: int = 0


@dataclass
class Turn:
    last_from_redis: bool = True


async def _pump(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, turn: Turn, relay: Relay | None
) -> None:
    """Copies one direction; ``relay`` is given for the gateway's side, which it counts."""
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            if relay is not None and turn.last_from_redis:
                relay.round_trips += 1
            turn.last_from_redis = relay is None  # set before the bytes can be answered
            writer.write(data)
            await writer.drain()
    writer.close()


@pytest.fixture
async def relay(infra: Infra) -> AsyncIterator[Relay]:
    found = Relay(free_port())

    async def connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        redis_reader, redis_writer = await asyncio.open_connection("127.0.0.1", infra.redis_port)
        turn = Turn()
        await asyncio.gather(
            _pump(reader, redis_writer, turn, found), _pump(redis_reader, writer, turn, None)
        )

    server = await asyncio.start_server(connect, "127.0.0.1", found.port)
    async with server:
        yield found


@pytest.fixture
async def counted(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory, relay: Relay
) -> AsyncIterator[Gateway]:
    redis_url = f"redis://127.0.0.1:{relay.port}/0"
    limits = {"rate_limit_per_second": 0.1, "rate_limit_burst": 3}
    async with running_gateway(
        infra, gateway_db, gateway_sessions, redis_url=redis_url, **limits
    ) as gateway:
        yield gateway


async def test_a_request_costs_one_round_trip_and_one_more_to_keep_its_answer(
    counted: Gateway, relay: Relay
) -> None:
    key = await counted.key("app", customer_id=CUSTOMER)
    # A replica's first request for a key reads it and spends in a second round trip.
    assert (
        await counted.client.post("/v1/events", json=VIEW, headers=bearer(key))
    ).status_code == 202
    before = relay.round_trips
    answer = await counted.client.post("/v1/events", json=VIEW, headers=bearer(key))
    assert answer.status_code == 202
    assert relay.round_trips - before == 1  # the key, its copy's epoch and the rate limit
    assert answer.headers["ratelimit"].startswith('"default";r=')
    before = relay.round_trips
    headers = bearer(key, **{"Idempotency-Key": uuid.uuid4().hex})
    assert (await counted.client.post("/v1/events", json=VIEW, headers=headers)).status_code == 202
    assert relay.round_trips - before == 3  # the claim, the key and limit, the answer kept


async def test_requests_refused_for_scope_or_binding_spend_nothing(counted: Gateway) -> None:
    key = await counted.key("app", customer_id=CUSTOMER)
    post = counted.client.post
    assert (await post("/v1/events", json=VIEW, headers=bearer(key))).status_code == 202
    foreign = {**VIEW, "customer_id": OTHER_CUSTOMER}
    for _ in range(5):
        refused = await post("/v1/events", json=foreign, headers=bearer(key))
        assert refused.json()["code"] == "customer_mismatch"
        scope = await counted.client.get("/v1/segments", headers=bearer(key))
        assert scope.json()["code"] == "missing_scope"
    # The burst of 3 is whole but for the first request.
    answers = [await post("/v1/events", json=VIEW, headers=bearer(key)) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 429]
