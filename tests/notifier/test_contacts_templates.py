"""Contacts, consents with their history, push tokens, templates and policies over the API."""

import asyncio
import uuid

from tests.notifier.conftest import Notifier


async def test_contacts_validate_the_phone_and_keep_every_consent_change(
    notifier: Notifier,
) -> None:
    customer = await notifier.contact(
        phone="+49 30 901820", email="anna@example.com", consents={"sms": True, "email": True}
    )
    contact = (await notifier.api.get(f"/contacts/{customer}")).json()
    assert contact["phone"] == "+4930901820"
    withdrawn = await notifier.api.put(
        f"/contacts/{customer}/consents/sms", json={"granted": False, "source": "app_settings"}
    )
    assert withdrawn.json()["consents"] == {"sms": False, "email": True}
    history = (await notifier.api.get(f"/contacts/{customer}/consents")).json()
    assert [(h["channel"], h["granted"], h["source"]) for h in history] == [
        ("sms", True, "api"),
        ("email", True, "api"),
        ("sms", False, "app_settings"),
    ]
    bad = await notifier.api.put(f"/contacts/{uuid.uuid4()}", json={"phone": "+1 555 0100"})
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "body.phone")


async def test_push_tokens_are_kept_per_device(notifier: Notifier) -> None:
    customer = await notifier.contact(consents={"push": True})
    for device, token in (("phone", "tok-1"), ("tablet", "tok-2"), ("phone", "tok-3")):
        await notifier.api.post(
            f"/contacts/{customer}/push-tokens", json={"device_id": device, "token": token}
        )
    removed = await notifier.api.delete(f"/contacts/{customer}/push-tokens/tablet")
    assert removed.json()["push_tokens"] == {"phone": "tok-3"}


async def test_a_template_with_an_unknown_variable_is_refused_when_saved(
    notifier: Notifier,
) -> None:
    refused = await notifier.api.put(
        "/templates/spring/email", json={"subject": "Hi {{ name }}", "body": "{{ coupon }}"}
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "template_variable_missing")
    assert refused.json()["variables"] == ["coupon"]
    saved = await notifier.api.put(
        "/templates/spring/email",
        json={"subject": "Hi {{ name }}", "body": "{{ coupon }}", "variables": ["coupon"]},
    )
    assert saved.status_code == 200


async def test_an_sms_template_reports_segments_cost_and_a_warning(notifier: Notifier) -> None:
    short = await notifier.api.put("/templates/t1/sms", json={"body": "{{ name }}, hello"})
    assert short.json()["sms"]["segments"] == 1
    assert short.json()["sms"]["warning"] is None
    long = await notifier.api.put("/templates/t2/sms", json={"body": "Привет, {{ name }}! " * 5})
    sms = long.json()["sms"]
    assert (sms["encoding"], sms["segments"]) == ("ucs2", 2)
    assert sms["cost_per_send"] == 2 * notifier.settings.sms_cost_per_segment
    assert "2 SMS segments" in sms["warning"]


async def test_policies_per_program_with_overrides_per_chain(notifier: Notifier) -> None:
    program = await notifier.api.put("/policies/program", json={"daily_cap": 5})
    chain = await notifier.api.put(
        "/policies/chain:winback",
        json={"daily_cap": 1, "quiet_start": "22:00", "quiet_end": "08:30", "over_cap": "drop"},
    )
    assert program.json()["daily_cap"] == 5
    assert chain.json()["quiet_end"] == "08:30"
    bad = await notifier.api.put("/policies/whatever", json={})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_scope")


async def test_writers_of_one_new_contact_at_once_all_succeed(notifier: Notifier) -> None:
    """The API and the registration consumer (or a retried request) can create one contact
    at the same moment: each write lands, in turn, and the last one's fields stay."""
    customer = str(uuid.uuid4())
    bodies = [
        {"name": f"Anna {n}", "time_zone": "UTC", "email": f"anna{n}@example.com"} for n in range(8)
    ]
    answers = await asyncio.gather(
        *(notifier.api.put(f"/contacts/{customer}", json=body) for body in bodies)
    )
    assert [a.status_code for a in answers] == [200] * len(bodies), [a.text for a in answers]
    contact = (await notifier.api.get(f"/contacts/{customer}")).json()
    assert contact["name"] in {body["name"] for body in bodies}
