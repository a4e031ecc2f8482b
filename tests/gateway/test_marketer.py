"""The marketer's routes through the real gateway in front of the running platform."""

import uuid
from typing import Any

import httpx
import pytest

from kit.stack import Platform
from kit.testing import copy_treated_chain, wait_for

pytestmark = pytest.mark.e2e


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def customer(gateway: httpx.AsyncClient, platform: Platform, **extra: Any) -> str:
    body = {"email": f"m-{uuid.uuid4().hex[:8]}@example.com", "name": "Dana", **extra}
    answer = await gateway.post("/v1/customers", json=body, headers=bearer(platform.pos_key))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def test_a_marketer_pages_a_chains_enrollments_with_counts(platform: Platform) -> None:
    marketer = bearer(platform.create_key("marketer"))
    chain_id = f"winback_{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=20) as gateway:
        copied = await gateway.post(
            "/v1/chains/templates/reactivation/copy", json={"id": chain_id}, headers=marketer
        )
        assert copied.status_code == 201, copied.text
        published = await gateway.post(f"/v1/chains/{chain_id}/publish", headers=marketer)
        assert published.status_code == 200, published.text
        enrolled = [await customer(gateway, platform) for _ in range(3)]
        for member in enrolled:
            answer = await gateway.post(
                f"/v1/chains/{chain_id}/enrollments", json={"customer_id": member}, headers=marketer
            )
            assert answer.status_code == 201, answer.text

        path = f"/v1/chains/{chain_id}/enrollments"
        first = await gateway.get(f"{path}?limit=2", headers=marketer)
        assert first.status_code == 200, first.text
        page = first.json()
        assert (page["counts"]["total"], page["counts"]["by_version"]) == (3, {"1": 3})
        assert [i["customer_id"] for i in page["items"]] == enrolled[:0:-1]
        rest = await gateway.get(f"{path}?limit=2&cursor={page['next_cursor']}", headers=marketer)
        assert [i["customer_id"] for i in rest.json()["items"]] == enrolled[:1]
        assert rest.json()["next_cursor"] is None

        too_many = await gateway.get(f"{path}?limit=201", headers=marketer)
        assert too_many.status_code == 422
        forged = await gateway.get(f"{path}?cursor=bm9uc2Vuc2U", headers=marketer)
        assert (forged.status_code, forged.json()["code"]) == (400, "invalid_cursor")
        unknown = await gateway.get("/v1/chains/no_such_chain/enrollments", headers=marketer)
        assert (unknown.status_code, unknown.json()["code"]) == (404, "chain_not_found")
        till = await gateway.get(path, headers=bearer(platform.pos_key))
        assert till.status_code == 403


async def test_a_marketer_edits_previews_and_follows_a_template_through_the_gateway(
    platform: Platform,
) -> None:
    """The walk: copy the reactivation chain, read and edit its offer, preview it for a real
    customer, set the chain's policy, publish, and see the message and why it went."""
    marketer = bearer(platform.create_key("marketer"))
    chain_id = f"walk_{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=20) as gateway:
        member = await customer(gateway, platform, consents={"email": True})
        page = await gateway.get("/v1/templates?limit=200", headers=marketer)
        assert page.status_code == 200, page.text
        names = {(t["name"], t["channel"]) for t in page.json()["items"]}
        assert {("reactivation_offer", "sms"), ("reactivation_offer", "email")} <= names

        offer = await gateway.get("/v1/templates/reactivation_offer/email", headers=marketer)
        assert offer.json()["origin"] == "default"
        assert "ru" in offer.json()["translations"]
        name = f"offer_{uuid.uuid4().hex[:8]}"
        edited = {**offer.json(), "subject": "{{ points }} points, {{ name }}"}
        body = {k: edited[k] for k in ("subject", "body", "category", "variables", "translations")}
        saved = await gateway.put(f"/v1/templates/{name}/email", json=body, headers=marketer)
        assert (saved.status_code, saved.json()["origin"]) == (200, "saved"), saved.text

        async def previewed() -> dict[str, Any] | None:
            answer = await gateway.post(
                f"/v1/templates/{name}/email/preview",
                json={"customer_id": member, "variables": {"points": 300}},
                headers=marketer,
            )
            return dict(answer.json()) if answer.status_code == 200 else None

        # The notifier learns the contact from member.registered, a moment after registration.
        seen = await wait_for(previewed, "the contact at the notifier")
        assert seen["subject"] == "300 points, Dana"
        assert seen["sampled_variables"] == ["points_expire_at"]
        sms = await gateway.post(
            "/v1/templates/reactivation_offer/sms/preview",
            json={"customer_id": member},
            headers=marketer,
        )
        assert (sms.json()["sms"]["encoding"], sms.json()["sms"]["segments"]) == ("gsm7", 1)

        test_send = f"/v1/templates/{name}/email/test-send"
        unflagged = await gateway.post(test_send, json={"customer_id": member}, headers=marketer)
        assert (unflagged.status_code, unflagged.json()["code"]) == (409, "not_a_test_recipient")
        flag = {"test_recipient": True}
        flagged = await gateway.put(
            f"/v1/customers/{member}/test-recipient", json=flag, headers=marketer
        )
        assert flagged.status_code == 200, flagged.text
        tested = await gateway.post(
            test_send, json={"customer_id": member, "variables": {"points": 300}}, headers=marketer
        )
        assert (tested.status_code, tested.json()["subject"]) == (200, "300 points, Dana")
        assert tested.headers["ratelimit"].startswith('"costly"')  # it sends: the costly class

        program = await gateway.get("/v1/policies/program", headers=marketer)
        assert program.status_code == 200 and "daily_cap" in program.json()
        quiet_free = {"daily_cap": 3, "quiet_start": "00:00", "quiet_end": "00:00"}
        override = await gateway.put(
            f"/v1/policies/chains/{chain_id}", json=quiet_free, headers=marketer
        )
        assert (override.status_code, override.json()["scope"]) == (200, f"chain:{chain_id}")

        await copy_treated_chain(gateway, marketer, "reactivation", chain_id)
        step_test = await gateway.post(
            f"/v1/chains/{chain_id}/steps/offer/test-send",
            json={"customer_id": member, "channel": "email"},
            headers=marketer,
        )
        assert (step_test.status_code, step_test.json()["subject"]) == (200, "300 points for you")
        assert step_test.headers["ratelimit"].startswith('"costly"')
        assert (
            await gateway.post(f"/v1/chains/{chain_id}/publish", headers=marketer)
        ).status_code == 200
        enrolled = await gateway.post(
            f"/v1/chains/{chain_id}/enrollments", json={"customer_id": member}, headers=marketer
        )
        assert enrolled.status_code == 201, enrolled.text

        async def offered() -> list[dict[str, Any]] | None:
            answer = await gateway.get(f"/v1/customers/{member}/messages", headers=marketer)
            items = answer.json()["items"] if answer.status_code == 200 else []
            chain = [d for d in items if d["source"].startswith("chain:")]  # not the test sends
            sent = [d for d in chain if d["template"] == "reactivation_offer" and d["sent_at"]]
            return sent or None

        (delivery, *_) = await wait_for(offered, "the reactivation offer", timeout=60)
        # The test send is listed too, marked by its source.
        listed = await gateway.get(f"/v1/customers/{member}/messages", headers=marketer)
        assert f"test:{name}" in {d["source"] for d in listed.json()["items"]}
        assert delivery["source"] == f"chain:{chain_id}:v1:offer"
        assert ("send", "allowed") in [(d["action"], d["reason"]) for d in delivery["decisions"]]
        assert (
            await gateway.get(f"/v1/customers/{member}/messages", headers=bearer(platform.pos_key))
        ).status_code == 403
