"""A template's texts previewed through the gateway as they are typed, before they are saved:
the notifier renders them and counts the SMS, so the console shows its figures, not a copy."""

import uuid
from typing import Any

import httpx
import pytest

from kit.stack import Platform
from kit.testing import wait_for

pytestmark = pytest.mark.e2e
DRAFT = "/v1/templates/preview"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def previewed(gateway: httpx.AsyncClient, key: str, **body: Any) -> dict[str, Any]:
    answer = await gateway.post(DRAFT, json={"channel": "sms", **body}, headers=bearer(key))
    assert answer.status_code == 200, answer.text
    seen: dict[str, Any] = answer.json()
    return seen


async def test_a_draft_sms_is_counted_by_the_notifier_as_typed(platform: Platform) -> None:
    marketer = platform.create_key("marketer")
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=20) as gateway:
        plain = await previewed(gateway, marketer, body="Hello {{ name }}, 300 points for you")
        assert plain["body"] == "Hello there, 300 points for you"
        assert (plain["sms"]["encoding"], plain["sms"]["segments"]) == ("gsm7", 1)
        one = plain["sms"]["cost_per_send"]
        assert one > 0
        longer = await previewed(gateway, marketer, body="a" * 161)
        assert (longer["sms"]["units"], longer["sms"]["segments"]) == (161, 2)
        assert longer["sms"]["cost_per_send"] == 2 * one
        russian = await previewed(gateway, marketer, body="Привет, 300 баллов", language="ru")
        assert (russian["sms"]["encoding"], russian["sms"]["units"]) == ("ucs2", 18)
        assert russian["language"] == "ru"
        ucs_long = await previewed(gateway, marketer, body="ы" * 71)
        assert ucs_long["sms"]["segments"] == 2

        unknown = await previewed(
            gateway, marketer, body="{{ pionts }} points, {{ points }}", variables=["points"]
        )
        assert unknown["unknown_variables"] == ["pionts"]
        assert unknown["body"].startswith("{{ pionts }} points, ")


async def test_a_draft_is_rendered_for_a_chosen_customer(platform: Platform) -> None:
    marketer = platform.create_key("marketer")
    body = {"email": f"d-{uuid.uuid4().hex[:8]}@example.com", "name": "Dana"}
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=20) as gateway:
        made = await gateway.post("/v1/customers", json=body, headers=bearer(platform.pos_key))
        assert made.status_code == 201, made.text
        customer = made.json()["id"]
        draft = {"channel": "email", "subject": "{{ name }}, hello", "body": "{{ offer }}"}

        async def for_dana() -> dict[str, Any] | None:
            # The notifier learns the contact from member.registered, a moment after.
            answer = await gateway.post(
                DRAFT, json={**draft, "customer_id": customer}, headers=bearer(marketer)
            )
            return dict(answer.json()) if answer.status_code == 200 else None

        seen = await wait_for(for_dana, "the contact at the notifier", 60)
        assert (seen["subject"], seen["customer_id"], seen["sms"]) == (
            "Dana, hello",
            customer,
            None,
        )


async def test_a_draft_preview_refuses_bad_input_and_other_keys(platform: Platform) -> None:
    marketer = bearer(platform.create_key("marketer"))
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=20) as gateway:
        till = await gateway.post(
            DRAFT, json={"channel": "sms", "body": "Hi"}, headers=bearer(platform.pos_key)
        )
        assert till.status_code == 403
        broken = await gateway.post(
            DRAFT, json={"channel": "sms", "body": "{{ x "}, headers=marketer
        )
        assert (broken.status_code, broken.json()["code"]) == (422, "template_invalid")
        assert broken.headers["content-type"].startswith("application/problem+json")
        nobody = {"channel": "sms", "body": "Hi", "customer_id": str(uuid.uuid4())}
        missing = await gateway.post(DRAFT, json=nobody, headers=marketer)
        assert (missing.status_code, missing.json()["code"]) == (404, "contact_not_found")
        for wrong in ({"channel": "fax", "body": "Hi"}, {"channel": "sms", "body": ""}):
            answer = await gateway.post(DRAFT, json=wrong, headers=marketer)
            assert (answer.status_code, answer.json()["code"]) == (422, "validation_error")
