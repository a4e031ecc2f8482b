"""The customer view through the running platform: every service's part of one customer."""

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from kit.clock import utcnow
from kit.stack import Platform
from kit.testing import wait_for

pytestmark = pytest.mark.e2e


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def test_a_registered_customer_is_seen_whole_with_their_welcome_chain(
    platform: Platform,
) -> None:
    marketer = platform.create_key("marketer")
    body = {"email": f"view-{uuid.uuid4().hex[:8]}@example.com", "consents": {"email": True}}
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as client:
        created = await client.post("/v1/customers", json=body, headers=bearer(platform.pos_key))
        customer = created.json()["id"]

        async def whole() -> dict[str, Any] | None:
            answer = await client.get(f"/v1/customers/{customer}/view", headers=bearer(marketer))
            assert answer.status_code == 200, answer.text
            view: dict[str, Any] = answer.json()
            enrolled = view["enrollments"]["items"]
            passed = enrolled and len(enrolled[0]["steps"]) >= 2
            decided = view["messages"]["items"] and view["messages"]["items"][0]["decisions"]
            return view if view["contact"] and passed and decided else None

        view = await wait_for(whole, "the welcome chain to enroll and message them", 90)
        later = utcnow().replace(microsecond=0) + timedelta(days=2)
        grant = {
            "idempotency_key": f"view-{customer}",
            "member_id": customer,
            "amount": 70,
            "source": "manual",
            "lifetime_days": 30,
            "active_from": later.isoformat(),
        }
        async with httpx.AsyncClient(base_url=platform.service("loyalty")) as loyalty:
            granted = await loyalty.post("/grants", json=grant)
        assert granted.status_code == 201, granted.text
        expires = datetime.fromisoformat(granted.json()["expires_at"])
        answer = await client.get(f"/v1/customers/{customer}/view", headers=bearer(marketer))
        points = answer.json()["balance"]
        refused = await client.get(
            f"/v1/customers/{customer}/view", headers=bearer(platform.pos_key)
        )
        unknown = await client.get(f"/v1/customers/{uuid.uuid4()}/view", headers=bearer(marketer))
        bad = await client.get(
            f"/v1/customers/{customer}/messages?cursor=not-ours", headers=bearer(marketer)
        )
    assert view["profile"]["email"] == body["email"]
    assert view["contact"]["consents"]["email"] is True
    assert view["balance"]["available"] >= 0
    assert points["pending"] == 70
    assert points["pending_lots"] == [
        {"amount": 70, "active_from": iso(later), "expires_at": iso(expires)}
    ]
    assert {"amount": 70, "expires_at": iso(expires), "pending": 70} in points["expiring"]
    (welcome,) = [e for e in view["enrollments"]["items"] if e["chain_id"] == "welcome"]
    assert [s["step"] for s in welcome["steps"]][:2] == ["welcome", "wait_first_purchase"]
    assert (welcome["status"], welcome["step"]) == ("active", "wait_first_purchase")
    message = view["messages"]["items"][0]
    assert message["source"].startswith("chain:welcome:v1:welcome")
    assert message["decisions"][0]["action"] in ("send", "defer")
    assert refused.status_code == 403
    assert (unknown.status_code, unknown.json()["code"]) == (404, "customer_not_found")
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_cursor")


async def test_enrollments_page_on_with_a_cursor(platform: Platform) -> None:
    marketer = platform.create_key("marketer")
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as client:
        path = f"/v1/customers/{uuid.uuid4()}/enrollments"
        empty = await client.get(path, params={"limit": 5}, headers=bearer(marketer))
        bad = await client.get(path, params={"cursor": "Zm9v"}, headers=bearer(marketer))
        odd = await client.get("/v1/customers/%3F/view", headers=bearer(marketer))
    assert empty.json() == {"items": [], "next_cursor": None}
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_cursor")
    # not a 503: an id outside the documented pattern is refused before it goes upstream
    assert (odd.status_code, odd.json()["code"]) == (422, "invalid_path_parameter")


async def test_purchases_with_their_returns_and_each_lots_origin_are_in_the_view(
    platform: Platform,
) -> None:
    marketer, till = platform.create_key("marketer"), bearer(platform.pos_key)
    body = {"email": f"history-{uuid.uuid4().hex[:8]}@example.com"}
    txid = f"hist-{uuid.uuid4().hex[:10]}"
    receipt = {
        "txid": txid,
        "store_id": "s-history",
        "channel": "offline",
        "lines": [{"sku": "LAMP", "category": "lamps", "quantity": 2, "price": 10_000}],
        "points": "max",
    }
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as client:
        customer = (await client.post("/v1/customers", json=body, headers=till)).json()["id"]
        grant = {
            "idempotency_key": f"history-{customer}",
            "member_id": customer,
            "amount": 60,
            "source": "campaign",
            "reference": "chain:reactivation:v1:gift",
            "lifetime_days": 30,
        }
        async with httpx.AsyncClient(base_url=platform.service("loyalty")) as loyalty:
            granted = (await loyalty.post("/grants", json=grant)).json()
        reserved = await client.post(
            "/v1/purchases", json={**receipt, "customer_id": customer}, headers=till
        )
        assert reserved.status_code == 201, reserved.text
        confirmed = await client.post(f"/v1/purchases/{txid}/confirm", json={}, headers=till)
        assert confirmed.status_code == 200, confirmed.text
        back = {"return_id": "r-1", "lines": [{"sku": "LAMP", "quantity": 1}]}
        returned = await client.post(f"/v1/purchases/{txid}/returns", json=back, headers=till)
        assert returned.status_code == 201, returned.text
        view = await client.get(f"/v1/customers/{customer}/view", headers=bearer(marketer))
        lots = await client.get(
            f"/v1/customers/{customer}/lots", params={"limit": 1}, headers=bearer(marketer)
        )
        older = await client.get(
            f"/v1/customers/{customer}/lots",
            params={"cursor": lots.json()["next_cursor"]},
            headers=bearer(marketer),
        )
        purchases = await client.get(
            f"/v1/customers/{customer}/purchases", headers=bearer(marketer)
        )
        refused = [
            await client.get(f"/v1/customers/{customer}/{what}", headers=till)
            for what in ("purchases", "lots")
        ]
        unknown = await client.get(f"/v1/customers/{uuid.uuid4()}/lots", headers=bearer(marketer))
    assert view.status_code == 200, view.text
    (purchase,) = view.json()["purchases"]["items"]
    assert purchases.json()["items"] == [purchase]
    assert (purchase["txid"], purchase["store_id"]) == (txid, "s-history")
    assert purchase["total_amount"] == 20_000
    assert purchase["redeemed_points"] == confirmed.json()["redeemed"] == 40  # the 20 % cap
    assert purchase["paid_amount"] == 20_000 - 40 * 100
    assert purchase["accrued_points"] == confirmed.json()["accrued"]
    (ret,) = purchase["returns"]
    assert ret["return_id"] == "r-1"
    assert (
        ret["refunded_amount"] == returned.json()["refunded_amount"] == purchase["refunded_amount"]
    )
    assert ret["restored_points"] == returned.json()["restored_points"] == 20
    by_source = {lot["source"]: lot for lot in view.json()["lots"]["items"]}
    assert by_source["purchase"]["purchase"] == {"txid": txid, "store_id": "s-history"}
    assert by_source["purchase"]["id"] == purchase["accrual_lot_id"]
    chain_lot = by_source["campaign"]
    assert (chain_lot["id"], chain_lot["reference"]) == (
        granted["lot_id"],
        "chain:reactivation:v1:gift",
    )
    assert (chain_lot["remaining"], chain_lot["state"]) == (40, "active")  # 20 came back
    assert [lot["id"] for lot in lots.json()["items"] + older.json()["items"]] == [
        lot["id"] for lot in view.json()["lots"]["items"]
    ]
    assert [r.status_code for r in refused] == [403, 403]
    assert (unknown.status_code, unknown.json()["code"]) == (404, "customer_not_found")
