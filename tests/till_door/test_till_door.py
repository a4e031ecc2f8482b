"""The till's door as a real process of the running platform: the gateway's public API, with
loyalty's app called in the same process, and nothing of loyalty's own API on its listener."""

import asyncio
import uuid

import httpx
import pytest

from kit.stack import Platform
from tests.loyalty.test_e2e_pos import bearer, customer_with_points, receipt

pytestmark = pytest.mark.e2e


async def test_the_door_serves_the_gateways_public_api_and_nothing_else(
    platform: Platform,
) -> None:
    async with (
        httpx.AsyncClient(base_url=platform.till_door) as door,
        httpx.AsyncClient(base_url=platform.gateway) as gateway,
    ):
        assert (await door.get("/openapi.json")).json() == (
            await gateway.get("/openapi.json")
        ).json()
        # Loyalty's internal routes, which trust their caller, have no listener here.
        internal = await door.post("/purchases/calculate", json=receipt("x"))
        balance = await door.get(f"/members/{uuid.uuid4()}/balance")
    assert internal.status_code == balance.status_code == 404


async def test_the_doors_readiness_covers_the_ledger_it_serves(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.till_door) as door:
        ready = await door.get("/readyz")
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert checks["database"] == checks["loyalty database"] == "ok"
    assert {"loyalty redis", "loyalty nats"} <= set(checks)


async def test_a_purchase_reserved_at_the_door_is_the_one_the_gateway_confirms(
    platform: Platform,
) -> None:
    """One ledger behind both doors: a till may retry a step through either."""
    customer_id = await customer_with_points(platform, 200)
    txid = uuid.uuid4().hex
    headers = bearer(platform.pos_key)
    async with (
        httpx.AsyncClient(base_url=platform.till_door, headers=headers) as door,
        httpx.AsyncClient(base_url=platform.gateway, headers=headers) as gateway,
    ):
        reserved = await door.post("/v1/purchases", json=receipt(customer_id, points=50, txid=txid))
        assert reserved.status_code == 201, reserved.text
        confirmed = await gateway.post(f"/v1/purchases/{txid}/confirm", json={})
        again = await door.post(f"/v1/purchases/{txid}/confirm", json={})
        balances = [
            (await client.get(f"/v1/customers/{customer_id}/balance")).json()
            for client in (door, gateway)
        ]
    assert confirmed.status_code == again.status_code == 200, confirmed.text
    assert confirmed.json() == again.json()
    assert balances[0] == balances[1]
    assert balances[0]["available"] == 200 - 50 + confirmed.json()["accrued"]


async def test_the_door_refuses_what_the_gateway_refuses_before_the_ledger(
    platform: Platform,
) -> None:
    marketer_key = await asyncio.to_thread(platform.create_key, "marketer")
    async with httpx.AsyncClient(base_url=platform.till_door) as door:
        unknown = await door.post(
            "/v1/purchases/calculate", json=receipt("x"), headers=bearer("rp_nope_nope")
        )
        wrong_scope = await door.post(
            "/v1/purchases/calculate", json=receipt("x"), headers=bearer(marketer_key)
        )
    assert (unknown.status_code, unknown.json()["code"]) == (401, "unauthorized")
    assert (wrong_scope.status_code, wrong_scope.json()["code"]) == (403, "missing_scope")
