"""Poison messages: data no retry can cure fails its channel at once, with its reason, and the
cascade (and the chain waiting on it) moves on. Real SMTP and HTTP sinks, real workflows on the
time-skipping server; without the fix each of these deliveries retries forever."""

import asyncio
import random
from typing import Any

from kit.testing import unique
from notifier.workflows.messages import DeliveryResult
from tests.notifier.conftest import Notifier

LEFT = {"sent", "delivered"}  # the SMS receipt may come back before the delivery finishes
# Long enough for a loaded machine; a delivery that loops never finishes at all.
FINISHES_WITHIN = 90


async def result_of(notifier: Notifier, delivery: dict[str, Any]) -> DeliveryResult:
    handle = notifier.handle(delivery["idempotency_key"])
    return await asyncio.wait_for(handle.result(), FINISHES_WITHIN)


async def customer_named(notifier: Notifier, name: str) -> tuple[str, str, str]:
    email, phone = f"{unique('p')}@example.com", f"+49151{random.randrange(10**8):08d}"
    consents = {"email": True, "sms": True}
    customer = await notifier.contact(name=name, email=email, phone=phone, consents=consents)
    return customer, email, phone


async def test_a_line_break_in_the_name_fails_the_email_and_the_cascade_moves_on(
    notifier: Notifier,
) -> None:
    """The built-in welcome puts the name in the subject: a CR/LF cannot go in a header."""
    customer, email, phone = await customer_named(notifier, "Anna\r\nBcc: all@example.com")
    delivery = await notifier.deliver(
        customer_id=customer, template="welcome", channels=["email", "sms"], critical=True
    )
    result = await result_of(notifier, delivery)
    assert result.channel == "sms" and result.status in LEFT
    assert await notifier.mail_to(email) == []
    assert len(await notifier.provider_requests(phone)) == 1
    email_attempt = (await notifier.delivery(delivery["id"]))["attempts"][0]
    assert (email_attempt["status"], email_attempt["reason"]) == ("failed", "malformed_message")


async def test_a_delivery_with_only_a_poisoned_channel_fails_with_its_reason(
    notifier: Notifier,
) -> None:
    customer, email, _phone = await customer_named(notifier, "Anna\nSmith")
    delivery = await notifier.deliver(
        customer_id=customer, template="welcome", channels=["email"], critical=True
    )
    result = await result_of(notifier, delivery)
    assert result.status == "failed"
    found = await notifier.delivery(delivery["id"])
    assert (found["status"], found["reason"]) == ("failed", "malformed_message")
    assert await notifier.mail_to(email) == []


async def test_a_template_that_cannot_render_fails_its_channel_for_good(
    notifier: Notifier,
) -> None:
    """Any error a retry cannot cure, not only the ones an adapter knows of."""
    await notifier.template("broken", "email", "{{ (name | length) // 0 }}", subject="Hi")
    await notifier.template("broken", "sms", "Hello {{ name }}")
    customer, _email, _phone = await customer_named(notifier, "Anna")
    delivery = await notifier.deliver(
        customer_id=customer, template="broken", channels=["email", "sms"], critical=True
    )
    result = await result_of(notifier, delivery)
    assert result.channel == "sms" and result.status in LEFT
    email_attempt = (await notifier.delivery(delivery["id"]))["attempts"][0]
    assert email_attempt["status"] == "failed"
    assert email_attempt["reason"] == "error:ZeroDivisionError"
