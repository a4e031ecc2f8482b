"""Cascades on the time-skipping server with the real sinks: an hour's window passes at once."""

from datetime import timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from kit.testing import unique, wait_for
from tests.notifier.conftest import Notifier, click_token

WINDOW = timedelta(hours=1, seconds=1)


async def delivered(notifier: Notifier, delivery_id: str) -> bool:
    return (await notifier.delivery(delivery_id))["status"] == "delivered"


async def templates_with_links(notifier: Notifier) -> None:
    await notifier.template("offer", "push", "{{ name }}, 20% off: {{ click_url }}", subject="Sale")
    await notifier.template(
        "offer", "email", "Hello {{ name }}, see {{ click_url }}", subject="Spring offer"
    )
    await notifier.template("offer", "sms", "{{ name }}: 20% off in store today")


async def everyone(notifier: Notifier, **extra: Any) -> tuple[str, str, str, str]:
    email, phone, token = f"{unique('a')}@example.com", "+4915112345678", unique("tok-")
    consents = {"push": True, "email": True, "sms": True}
    customer = await notifier.contact(email=email, phone=phone, consents=consents, **extra)
    await notifier.api.post(
        f"/contacts/{customer}/push-tokens", json={"device_id": "phone", "token": token}
    )
    return customer, email, phone, token


async def test_push_then_email_then_sms_and_a_click_on_the_email_stops_it(
    notifier: Notifier, time_skipping: WorkflowEnvironment
) -> None:
    await templates_with_links(notifier)
    customer, email, phone, token = await everyone(notifier, time_zone="Etc/GMT")
    await notifier.tell_provider(phone, "silent")
    delivery = await notifier.deliver(
        customer_id=customer, template="offer", channels=["push", "email", "sms"], critical=True
    )
    assert delivery["status"] == "queued"
    pushed = await wait_for(lambda: notifier.provider_requests(token), "the push")
    assert pushed[0]["body"]["title"] == "Sale"

    await time_skipping.sleep(WINDOW)
    mail = await wait_for(lambda: notifier.mail_to(email), "the email after the push window")
    clicked = await notifier.api.post(
        "/tracking/click", json={"token": click_token(mail[0]["text"])}
    )
    assert clicked.json() == {"target": notifier.settings.default_link}

    result = await notifier.handle(delivery["idempotency_key"]).result()
    assert (result.status, result.channel) == ("clicked", "email")
    assert await notifier.provider_requests(phone) == []
    found = await notifier.delivery(delivery["id"])
    assert [(a["channel"], a["status"]) for a in found["attempts"]] == [
        ("push", "delivered"),
        ("email", "clicked"),
    ]
    subjects = await notifier.subjects_in_outbox()
    assert any(s.endswith("message_clicked.v1") for s in subjects)


async def test_an_invalid_push_token_moves_on_at_once(notifier: Notifier) -> None:
    await templates_with_links(notifier)
    customer, email, _phone, token = await everyone(notifier)
    await notifier.tell_provider(token, "invalid")
    delivery = await notifier.deliver(
        customer_id=customer, template="offer", channels=["push", "email"], critical=True
    )
    result = await notifier.handle(delivery["idempotency_key"]).result()
    assert (result.status, result.channel) == ("sent", "email")
    assert await notifier.mail_to(email)
    found = await notifier.delivery(delivery["id"])
    assert found["attempts"][0]["status"] == "failed"
    assert found["attempts"][0]["reason"] == "invalid_token"
    contact = (await notifier.api.get(f"/contacts/{customer}")).json()
    assert contact["push_tokens"] == {}


async def test_sms_goes_only_to_customers_with_no_other_channel(
    notifier: Notifier, time_skipping: WorkflowEnvironment
) -> None:
    await templates_with_links(notifier)
    reachable, email, phone, _token = await everyone(notifier)
    only_phone = await notifier.contact(phone="+4915199999999", consents={"sms": True})
    rule = {"template": "offer", "channels": ["email", "sms"], "critical": True}
    rule["sms_only_if_no_other_channel"] = True
    first = await notifier.deliver(customer_id=reachable, **rule)
    second = await notifier.deliver(customer_id=only_phone, **rule)
    await wait_for(lambda: notifier.mail_to(email), "the email")

    await time_skipping.sleep(WINDOW)
    first_result = await notifier.handle(first["idempotency_key"]).result()
    second_result = await notifier.handle(second["idempotency_key"]).result()
    assert second_result.channel == "sms"

    await wait_for(lambda: delivered(notifier, second["id"]), "the SMS delivery receipt")
    assert await notifier.provider_requests(phone) == []
    assert first_result.status == "sent"
    attempts = (await notifier.delivery(first["id"]))["attempts"]
    assert (attempts[1]["status"], attempts[1]["reason"]) == ("skipped", "other_channel_available")
    sms = (await notifier.delivery(second["id"]))["attempts"][1]
    assert sms["cost"] == notifier.settings.sms_cost_per_segment


async def test_consent_withdrawn_mid_cascade_stops_the_next_channel(
    notifier: Notifier, time_skipping: WorkflowEnvironment
) -> None:
    await templates_with_links(notifier)
    customer, email, _phone, _token = await everyone(notifier)
    delivery = await notifier.deliver(
        customer_id=customer, template="offer", channels=["push", "email"], critical=True
    )
    await wait_for(lambda: delivered(notifier, delivery["id"]), "the push's receipt")
    await notifier.api.put(
        f"/contacts/{customer}/consents/email", json={"granted": False, "source": "app"}
    )
    await time_skipping.sleep(WINDOW)
    result = await notifier.handle(delivery["idempotency_key"]).result()
    assert (result.status, result.channel) == ("delivered", "push")
    assert await notifier.mail_to(email) == []
    email_attempt = (await notifier.delivery(delivery["id"]))["attempts"][1]
    assert (email_attempt["status"], email_attempt["reason"]) == ("skipped", "no_consent")


async def test_a_retried_request_never_sends_twice(notifier: Notifier) -> None:
    customer = await notifier.contact(email=f"{unique('b')}@example.com", consents={"email": True})
    body = {"idempotency_key": unique("k-"), "customer_id": customer, "template": "welcome"}
    body["source"] = "chain:welcome:v1:welcome"
    first = await notifier.api.post("/deliveries", json=body)
    again = await notifier.api.post("/deliveries", json=body)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    result = await notifier.handle(body["idempotency_key"]).result()
    assert result.status == "sent"
    contact = (await notifier.api.get(f"/contacts/{customer}")).json()
    assert len(await notifier.mail_to(contact["email"])) == 1
    other = await notifier.api.post("/deliveries", json={**body, "template": "welcome_reminder"})
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")
    unknown = await notifier.api.post(
        "/deliveries", json={**body, "idempotency_key": unique("k-"), "customer_id": "nobody"}
    )
    assert (unknown.status_code, unknown.json()["code"]) == (409, "contact_unknown")
