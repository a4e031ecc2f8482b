"""The gateway as a real process in front of the running platform."""

import asyncio
import os
import subprocess
import sys
import uuid

import httpx
import pytest

from kit.bus import EventBus, connect_nats
from kit.contracts.gateway import CartUpdated
from kit.stack import ROOT, Infra, Platform

pytestmark = pytest.mark.e2e


def bearer(key: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **headers}


def admin(platform: Platform, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "gateway.admin", *args],
        env={**os.environ, **platform.env},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


async def register(client: httpx.AsyncClient, key: str, **headers: str) -> httpx.Response:
    body = {"email": f"app-{uuid.uuid4().hex[:8]}@example.com", "consents": {"email": True}}
    return await client.post("/v1/customers", json=body, headers=bearer(key, **headers))


async def test_an_app_key_reads_its_customer_and_no_other(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway) as client:
        mine = (await register(client, platform.pos_key)).json()["id"]
        other = (await register(client, platform.pos_key)).json()["id"]
        app_key = await asyncio.to_thread(
            admin, platform, "create-key", "--name", "app", "--scope", "app", "--customer-id", mine
        )
        own = await client.get(f"/v1/customers/{mine}", headers=bearer(app_key))
        foreign = await client.get(f"/v1/customers/{other}", headers=bearer(app_key))
    assert own.status_code == 200 and own.json()["id"] == mine
    assert own.headers["ratelimit"].startswith('"default";r=')
    assert foreign.status_code in (403, 404)


async def test_a_cart_update_leaves_through_the_gateway_worker(
    platform: Platform, infra: Infra
) -> None:
    nc = await connect_nats(infra.nats_url, "gateway-tests")
    bus = EventBus(nc, platform.namespace)
    subscription = await bus.js.subscribe(bus.full_subject(CartUpdated.subject()))
    try:
        body = {
            "type": "cart.updated",
            "customer_id": "c-42",
            "cart_id": "cart-42",
            "items": [{"sku": "SKU-1", "quantity": 3, "price": 250}],
        }
        async with httpx.AsyncClient(base_url=platform.gateway) as client:
            answer = await client.post("/v1/events", json=body, headers=bearer(platform.pos_key))
        assert answer.status_code == 202, answer.text
        while True:
            event = CartUpdated.decode((await subscription.next_msg(timeout=30)).data)
            if str(event.id) == answer.json()["event_id"]:
                break
    finally:
        await nc.close()
    assert (event.customer_id, event.payload.total) == ("c-42", 750)


async def test_a_replayed_registration_returns_the_same_customer(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway) as client:
        body = {"email": f"twice-{uuid.uuid4().hex[:8]}@example.com"}
        headers = bearer(platform.pos_key, **{"Idempotency-Key": uuid.uuid4().hex})
        first = await client.post("/v1/customers", json=body, headers=headers)
        again = await client.post("/v1/customers", json=body, headers=headers)
        unkeyed = await client.post("/v1/customers", json=body, headers=bearer(platform.pos_key))
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert unkeyed.json()["code"] == "member_exists"


async def test_a_revoked_key_is_refused_by_the_running_gateway_at_once(
    platform: Platform,
) -> None:
    key = await asyncio.to_thread(platform.create_key, "pos")
    async with httpx.AsyncClient(base_url=platform.gateway) as client:
        assert (await register(client, key)).status_code == 201
        await asyncio.to_thread(admin, platform, "revoke-key", "--prefix", key.split("_")[1])
        assert (await register(client, key)).status_code == 401
