"""Shedding under overload: past its slots a POS write is refused at once, having done nothing.

Loyalty is real, on its own PostgreSQL database; the slow ledger step is a row lock the test
holds on a member, so the confirm that needs it keeps the only write slot until it is let go.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from gateway.shedding import RETRY_AFTER_SECONDS, Bulkhead, Overloaded
from kit.db import SessionFactory
from kit.stack import Infra
from kit.testing import wait_for
from tests.gateway.conftest import Gateway, bearer, running_gateway
from tests.gateway.serving import loyalty_and_database

LAMP = {"sku": "LAMP", "category": "lamps", "quantity": 1, "price": 10_000}


@dataclass
class Shop:
    gateway: Gateway
    loyalty: httpx.AsyncClient
    database: str  # loyalty's, as asyncpg names it
    key: str

    async def customer(self, points: int) -> str:
        body = {"email": f"{uuid.uuid4().hex[:10]}@example.com"}
        answer = await self.post("/v1/customers", body)
        assert answer.status_code == 201, answer.text
        member = str(answer.json()["id"])
        grant = {"idempotency_key": uuid.uuid4().hex, "member_id": member, "amount": points}
        granted = await self.loyalty.post(
            "/grants", json={**grant, "lifetime_days": 30, "source": "promo"}
        )
        assert granted.status_code == 201, granted.text
        return member

    async def post(self, path: str, body: dict[str, Any], key: str = "") -> httpx.Response:
        headers = bearer(self.key, **({"Idempotency-Key": key} if key else {}))
        return await self.gateway.client.post(path, json=body, headers=headers)

    def receipt(self, member: str, **extra: Any) -> dict[str, Any]:
        return {"customer_id": member, "store_id": "s1", "channel": "offline", "lines": [LAMP]}

    async def reserve(self, member: str, txid: str, key: str = "") -> httpx.Response:
        return await self.post(
            "/v1/purchases", {**self.receipt(member), "txid": txid, "points": 10}, key
        )

    async def confirm(self, txid: str, key: str = "") -> httpx.Response:
        return await self.post(f"/v1/purchases/{txid}/confirm", {}, key)

    async def balance(self, member: str) -> dict[str, Any]:
        answer = await self.gateway.client.get(
            f"/v1/customers/{member}/balance", headers=bearer(self.key)
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


@asynccontextmanager
async def open_shop(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory, **slots: Any
) -> AsyncIterator[Shop]:
    async with (
        loyalty_and_database(infra) as (loyalty_url, database),
        running_gateway(
            infra, gateway_db, gateway_sessions, loyalty_url=loyalty_url, **slots
        ) as gateway,
        httpx.AsyncClient(base_url=loyalty_url, timeout=30) as loyalty,
    ):
        dsn = database.replace("postgresql+asyncpg://", "postgresql://")
        yield Shop(gateway, loyalty, dsn, await gateway.key("pos"))


ONE_SLOT = {"pos_write_concurrency": 1, "pos_read_concurrency": 1, "shed_wait_seconds": 0.05}


@pytest.fixture
async def shop(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory
) -> AsyncIterator[Shop]:
    async with open_shop(infra, gateway_db, gateway_sessions, **ONE_SLOT) as opened:
        yield opened


@pytest.fixture
async def shop_without_a_queue(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory
) -> AsyncIterator[Shop]:
    """One write slot and no room to wait for it."""
    slots = {**ONE_SLOT, "pos_write_waiting": 0}
    async with open_shop(infra, gateway_db, gateway_sessions, **slots) as opened:
        yield opened


async def waiting_on_a_lock(connection: asyncpg.Connection) -> bool:
    query = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return bool(await connection.fetchval(query))


async def test_past_its_slots_a_pos_write_is_refused_at_once_and_its_retry_runs_once(
    shop: Shop,
) -> None:
    slow, other = await shop.customer(1_000), await shop.customer(1_000)
    held, refused, pending = uuid.uuid4().hex, uuid.uuid4().hex, uuid.uuid4().hex
    assert (await shop.reserve(slow, held)).status_code == 201
    assert (await shop.reserve(other, pending)).status_code == 201
    locker = await asyncpg.connect(shop.database)
    try:
        lock = locker.transaction()
        await lock.start()
        await locker.execute("SELECT 1 FROM members WHERE id = $1 FOR UPDATE", slow)
        # This confirm takes the only write slot and waits in loyalty for the member's lock.
        first = asyncio.create_task(shop.confirm(held))
        await wait_for(lambda: waiting_on_a_lock(locker), "the confirm to wait for the lock")
        shed = [
            await shop.reserve(other, refused, key="k-reserve"),
            await shop.confirm(pending, key="k-confirm"),
        ]
        for answer in shed:
            assert answer.status_code == 503, answer.text
            assert answer.json()["code"] == "overloaded"
            assert answer.json()["retryable"] is True
            assert answer.headers["retry-after"] == "1"
        # Quotes and balances have slots of their own: POS writes do not starve them.
        quote = await shop.post("/v1/purchases/calculate", {**shop.receipt(other), "points": 5})
        assert quote.status_code == 200, quote.text
        assert (await shop.balance(other))["reserved"] == 10  # only the reservation before
        await lock.rollback()
    finally:
        await locker.close()
    assert (await first).status_code == 200
    # The tills retry with the same txids and keys: each runs now, and only once.
    reserved = await shop.reserve(other, refused, key="k-reserve")
    confirmed = await shop.confirm(pending, key="k-confirm")
    assert (reserved.status_code, confirmed.status_code) == (201, 200)
    again = [
        await shop.reserve(other, refused, key="k-reserve"),
        await shop.confirm(pending, key="k-confirm"),
    ]
    assert [a.headers.get("idempotent-replayed") for a in again] == ["true", "true"]
    assert [a.json() for a in again] == [reserved.json(), confirmed.json()]
    balance = await shop.balance(other)
    assert balance["reserved"] == 10  # the retried reservation's, held once
    assert balance["available"] == 1_000 - 10 - 10 + confirmed.json()["accrued"]


async def test_a_known_keys_call_with_no_room_left_is_refused_before_its_key_is_looked_up(
    shop_without_a_queue: Shop,
) -> None:
    shop = shop_without_a_queue
    slow, other = await shop.customer(1_000), await shop.customer(1_000)  # the key is served
    held = uuid.uuid4().hex
    assert (await shop.reserve(slow, held)).status_code == 201
    stranger = await shop.gateway.key("pos")  # a valid key this replica has not served yet
    reservation = {**shop.receipt(other), "txid": uuid.uuid4().hex, "points": 10}
    locker = await asyncpg.connect(shop.database)
    try:
        lock = locker.transaction()
        await lock.start()
        await locker.execute("SELECT 1 FROM members WHERE id = $1 FOR UPDATE", slow)
        first = asyncio.create_task(shop.confirm(held))  # the only slot, waiting for the lock
        await wait_for(lambda: waiting_on_a_lock(locker), "the confirm to wait for the lock")
        known = await shop.post("/v1/purchases", reservation)
        assert known.status_code == 503, known.text
        assert known.json()["code"] == "overloaded" and known.headers["retry-after"] == "1"
        # Refused before the look-up: no round trip, none of the key's rate limit spent.
        assert "ratelimit" not in known.headers
        # A key this replica has not served is looked up (and spends) before it is refused.
        looked_up = await shop.gateway.client.post(
            "/v1/purchases", json=reservation, headers=bearer(stranger)
        )
        assert looked_up.status_code == 503 and "ratelimit" in looked_up.headers
        # A key the platform does not know is told so, not that the ledger is busy.
        unknown = await shop.gateway.client.post(
            "/v1/purchases", json=reservation, headers=bearer("rp_unknown_secret")
        )
        assert unknown.status_code == 401, unknown.text
        await lock.rollback()
    finally:
        await locker.close()
    assert (await first).status_code == 200
    assert (await shop.balance(other))["reserved"] == 0  # neither refusal reserved anything


async def test_past_its_slots_and_queue_a_request_is_refused_without_waiting() -> None:
    # One slot, one place in the queue, and a wait long enough that only the queue's bound
    # can refuse the third caller before the slot is let go.
    bulkhead = Bulkhead("pos_writes", limit=1, waiting=1, wait_seconds=600)
    release = asyncio.Event()

    async def hold() -> None:
        async with bulkhead.slot():
            await release.wait()

    holder = asyncio.create_task(hold())
    await wait_for(lambda: bulkhead.full, "the slot to be taken")
    queued = asyncio.create_task(hold())
    await wait_for(lambda: bulkhead.queued == 1, "the second caller to queue")
    with pytest.raises(Overloaded) as refused:
        async with bulkhead.slot():
            pass
    assert refused.value.retry_after == RETRY_AFTER_SECONDS
    assert not queued.done()  # the queued caller still waits for its slot, not refused
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, queued), 60)
    assert bulkhead.queued == 0 and not bulkhead.full
