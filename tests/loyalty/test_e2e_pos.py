"""A till drives the purchase flow through the running platform's doors for tills: the gateway,
and the till's door (the gateway's app with loyalty's in one process), alike."""

import uuid
from typing import Any

import httpx
import pytest

from kit.stack import Platform

pytestmark = pytest.mark.e2e


@pytest.fixture(params=["gateway", "till_door"])
def door(request: pytest.FixtureRequest, platform: Platform) -> str:
    """Where the till calls: every test here passes the same way through either."""
    return str(getattr(platform, request.param))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def customer_with_points(platform: Platform, points: int) -> str:
    async with httpx.AsyncClient(base_url=platform.gateway, headers=bearer(platform.pos_key)) as gw:
        email = f"till-{uuid.uuid4().hex[:8]}@example.com"
        registered = await gw.post("/v1/customers", json={"email": email})
        assert registered.status_code == 201, registered.text
    customer_id = str(registered.json()["id"])
    grant = {
        "idempotency_key": uuid.uuid4().hex,
        "member_id": customer_id,
        "amount": points,
        "lifetime_days": 30,
        "source": "promo",
    }
    async with httpx.AsyncClient(base_url=platform.service("loyalty")) as loyalty:
        assert (await loyalty.post("/grants", json=grant)).status_code == 201
    return customer_id


def receipt(customer_id: str, **extra: Any) -> dict[str, Any]:
    line = {"sku": "SOFA", "category": "sofas", "quantity": 2, "price": 25_000}
    body = {"customer_id": customer_id, "store_id": "s1", "channel": "offline", "lines": [line]}
    return {**body, **extra}


async def test_quote_reserve_confirm_return_and_balance_at_either_door(
    platform: Platform, door: str
) -> None:
    customer_id = await customer_with_points(platform, 500)
    async with httpx.AsyncClient(base_url=door, headers=bearer(platform.pos_key)) as gw:
        quote = await gw.post("/v1/purchases/calculate", json=receipt(customer_id, points="max"))
        assert quote.status_code == 200, quote.text
        assert quote.json()["redeemed"] == 100
        txid = uuid.uuid4().hex
        body = receipt(customer_id, points="max", txid=txid, quoted_redeemed=100)
        reserved = await gw.post("/v1/purchases", json=body)
        assert reserved.status_code == 201, reserved.text
        confirmed = await gw.post(f"/v1/purchases/{txid}/confirm", json={})
        again = await gw.post(f"/v1/purchases/{txid}/confirm", json={})
        assert confirmed.status_code == again.status_code == 200
        assert confirmed.json() == again.json()
        returned = await gw.post(
            f"/v1/purchases/{txid}/returns",
            json={"return_id": "r1", "lines": [{"sku": "SOFA", "quantity": 1}]},
        )
        assert returned.status_code == 201, returned.text
        balance = (await gw.get(f"/v1/customers/{customer_id}/balance")).json()
    accrued = confirmed.json()["accrued"]
    expected = 500 - 100 + returned.json()["restored_points"] + accrued
    assert balance["available"] == expected - returned.json()["reversed_points"]


async def test_either_door_refuses_a_changed_body_under_the_same_key(
    platform: Platform, door: str
) -> None:
    customer_id = await customer_with_points(platform, 100)
    headers = {**bearer(platform.pos_key), "Idempotency-Key": uuid.uuid4().hex}
    async with httpx.AsyncClient(base_url=door, headers=headers) as gw:
        body = receipt(customer_id, points=10, txid=uuid.uuid4().hex)
        first = await gw.post("/v1/purchases", json=body)
        replayed = await gw.post("/v1/purchases", json=body)
        changed = await gw.post("/v1/purchases", json={**body, "points": 20})
    assert first.status_code == replayed.status_code == 201
    assert first.json() == replayed.json()
    assert (changed.status_code, changed.json()["code"]) == (409, "idempotency_key_reused")


async def test_purchases_need_a_pos_key(door: str) -> None:
    async with httpx.AsyncClient(base_url=door) as gw:
        response = await gw.post("/v1/purchases/calculate", json=receipt("x"))
    assert response.status_code == 401
