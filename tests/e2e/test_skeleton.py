"""The walking skeleton: a POS registration ends as a welcome email, through every real piece."""

import uuid
from typing import Any

import httpx
import pytest

from kit.stack import Platform
from kit.testing import wait_for

pytestmark = pytest.mark.e2e


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def mail_to(platform: Platform, address: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{platform.mail}/messages", params={"to": address})
    messages: list[dict[str, Any]] = response.json()
    return messages


async def register(platform: Platform, email: str, **extra: Any) -> httpx.Response:
    body = {"email": email, "name": "Anna", "consents": {"email": True}, **extra}
    async with httpx.AsyncClient(base_url=platform.gateway) as client:
        return await client.post("/v1/customers", json=body, headers=bearer(platform.pos_key))


async def json_or_none(url: str) -> Any:
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    return response.json() if response.status_code == 200 else None


async def test_a_registration_at_the_till_ends_as_a_welcome_email(platform: Platform) -> None:
    email = f"anna-{uuid.uuid4().hex[:8]}@example.com"
    response = await register(platform, email, city="Berlin", time_zone="Europe/Berlin")
    assert response.status_code == 201, response.text
    customer_id = response.json()["id"]

    messages = await wait_for(lambda: mail_to(platform, email), "the welcome email")
    assert messages[0]["subject"] == "Welcome, Anna!"
    assert "welcome to our rewards programme" in messages[0]["text"]

    profile_url = f"{platform.service('segments')}/customers/{customer_id}/profile"
    profile = await wait_for(lambda: json_or_none(profile_url), "the segments profile")
    assert profile["city"] == "Berlin"
    assert profile["subscribed_channels"] == ["email"]

    enrollment_url = f"{platform.service('orchestrator')}/chains/welcome/enrollments/{customer_id}"
    enrollment = await json_or_none(enrollment_url)
    assert enrollment["workflow_id"] == f"chain/welcome/{customer_id}"
    assert enrollment["status"] == "running"
    assert enrollment["touches"] == 1
    assert len(await mail_to(platform, email)) == 1


async def test_the_customer_can_be_read_back_through_the_gateway(platform: Platform) -> None:
    email = f"ben-{uuid.uuid4().hex[:8]}@example.com"
    customer_id = (await register(platform, email)).json()["id"]
    async with httpx.AsyncClient(base_url=platform.gateway) as client:
        found = await client.get(f"/v1/customers/{customer_id}", headers=bearer(platform.pos_key))
        missing = await client.get(
            f"/v1/customers/{uuid.uuid4()}", headers=bearer(platform.pos_key)
        )
    assert found.json()["email"] == email
    assert missing.status_code == 404
    assert missing.json()["code"] == "customer_not_found"


async def test_registering_the_same_email_twice_is_a_conflict(platform: Platform) -> None:
    email = f"cara-{uuid.uuid4().hex[:8]}@example.com"
    assert (await register(platform, email)).status_code == 201
    again = await register(platform, email)
    assert again.status_code == 409
    assert again.json()["code"] == "member_exists"


async def test_the_gateway_turns_away_missing_keys_and_wrong_scopes(platform: Platform) -> None:
    marketer_key = platform.create_key("marketer")
    body = {"email": "x@example.com"}
    async with httpx.AsyncClient(base_url=platform.gateway) as client:
        anonymous = await client.post("/v1/customers", json=body)
        forged = await client.post("/v1/customers", json=body, headers=bearer("rp_abc_def"))
        marketer = await client.post("/v1/customers", json=body, headers=bearer(marketer_key))
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthorized")
    assert forged.status_code == 401
    assert (marketer.status_code, marketer.json()["code"]) == (403, "missing_scope")


async def test_bad_registrations_are_422_with_the_field_named(platform: Platform) -> None:
    cases = [
        ({"name": "no contact"}, "body"),
        ({"email": "not-an-email"}, "body.email"),
        ({"phone": "12"}, "body.phone"),
        ({"email": "a@example.com", "time_zone": "Mars/Olympus"}, "body.time_zone"),
        ({"email": "a@example.com", "shoe_size": 42}, "body.shoe_size"),
    ]
    async with httpx.AsyncClient(base_url=platform.gateway) as client:
        for body, field in cases:
            response = await client.post(
                "/v1/customers", json=body, headers=bearer(platform.pos_key)
            )
            assert response.status_code == 422, body
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["errors"][0]["field"] == field, body
