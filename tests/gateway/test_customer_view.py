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
    assert (unknown.status_code, unknown.json()["code"]) == (404, "member_not_found")
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
