"""Marketers reach segments only through the gateway, with a marketer key."""

import uuid
from typing import Any

import httpx
import pytest

from kit.stack import Platform
from kit.testing import wait_for

pytestmark = pytest.mark.e2e


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_a_marketer_builds_a_segment_through_the_gateway(platform: Platform) -> None:
    marketer = bearer(platform.create_key("marketer"))
    city = f"Town-{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as client:
        registered = await client.post(
            "/v1/customers",
            json={"email": f"s-{uuid.uuid4().hex[:8]}@example.com", "city": city},
            headers=bearer(platform.pos_key),
        )
        customer_id = registered.json()["id"]

        async def segments_of_customer() -> Any:
            found = await client.get(f"/v1/customers/{customer_id}/segments", headers=marketer)
            return found.json() if found.status_code == 200 and found.json() else None

        mine = await wait_for(segments_of_customer, "the customer in the projection")
        assert mine == [
            {"segment_id": "recency.never_bought", "version": 1, "name": "Never bought"}
        ]

        rule = {"attribute": "city", "op": "eq", "value": city}
        preview = await client.post(
            "/v1/segments/preview", json={"definition": rule}, headers=marketer
        )
        created = await client.post(
            "/v1/segments", json={"name": "Locals", "definition": rule}, headers=marketer
        )
        segment_id = created.json()["id"]
        members = await client.get(
            f"/v1/segments/{segment_id}/members", params={"limit": 10}, headers=marketer
        )
        export = await client.get(f"/v1/segments/{segment_id}/members/export", headers=marketer)
        distribution = await client.get("/v1/segments/rfm/distribution", headers=marketer)
        invalid = await client.post(
            "/v1/segments/preview", json={"definition": {"segment": 1}}, headers=marketer
        )
        as_pos = await client.get("/v1/segments", headers=bearer(platform.pos_key))

    assert preview.json() == {"count": 1, "sample": [customer_id]}
    assert (created.status_code, created.json()["member_count"]) == (201, 1)
    assert members.json() == {"members": [customer_id], "next_cursor": None}
    assert export.text.splitlines() == ["customer_id", customer_id]
    assert set(distribution.json()["segments"]) >= {"champions", "lost", "cannot_lose"}
    assert (invalid.status_code, invalid.json()["errors"][0]["path"]) == (422, "$.segment")
    assert (as_pos.status_code, as_pos.json()["code"]) == (403, "missing_scope")


async def test_equal_txids_at_two_stores_both_count_in_the_customers_profile(
    platform: Platform,
) -> None:
    marketer, pos = bearer(platform.create_key("marketer")), bearer(platform.pos_key)
    city, txid = f"Town-{uuid.uuid4().hex[:6]}", f"till-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as client:
        registered = await client.post(
            "/v1/customers",
            json={"email": f"s-{uuid.uuid4().hex[:8]}@example.com", "city": city},
            headers=pos,
        )
        customer_id = registered.json()["id"]
        for store in ("store-a", "store-b"):
            receipt = {
                "customer_id": customer_id,
                "store_id": store,
                "channel": "offline",
                "lines": [{"sku": "LAMP", "category": "lamps", "quantity": 1, "price": 5000}],
                "txid": txid,
            }
            reserved = await client.post("/v1/purchases", json=receipt, headers=pos)
            assert reserved.status_code == 201, reserved.text
            confirmed = await client.post(
                f"/v1/purchases/{txid}/confirm", params={"store_id": store}, json={}, headers=pos
            )
            assert confirmed.status_code == 200, confirmed.text

        twice = {
            "and": [
                {"attribute": "city", "op": "eq", "value": city},
                {"aggregate": "purchase_count", "window": {"days": 365}, "op": "gte", "value": 2},
            ]
        }

        async def both_counted() -> Any:
            found = await client.post(
                "/v1/segments/preview", json={"definition": twice}, headers=marketer
            )
            return found.json() if found.json().get("count") else None

        assert await wait_for(both_counted, "both stores' purchases", timeout=90) == {
            "count": 1,
            "sample": [customer_id],
        }
