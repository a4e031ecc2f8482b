"""A channel whose provider never answers is tried exactly `NOTIFIER_SEND_ATTEMPTS` times,
then fails for good with its reason, and the cascade moves on: no delivery retries forever.

Real HTTP and SMTP sinks (the provider told to answer 503 for good), real delivery workflows on
the time-skipping server. The bound is set low with a short backoff: local activity retries run
in real time. Without the setting the send is still being retried (35 tries, up to a minute
apart) when the test's deadline passes.
"""

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kit.testing import unique
from notifier.workflows.messages import DeliveryResult
from tests.notifier.conftest import Notifier, NotifierWith

ATTEMPTS = 3
# Three tries 0.2 s apart take a second or two; a loaded machine gets a generous margin.
FINISHES_WITHIN = 90
GAVE_UP = "gave_up:provider_unavailable"


@pytest.fixture
async def bounded(notifier_with: NotifierWith) -> AsyncIterator[Notifier]:
    async with notifier_with(
        send_attempts=ATTEMPTS,
        send_backoff_seconds=0.2,
        send_max_backoff_seconds=0.2,
        provider_attempts=1,  # one request per try: the sink counts the tries
    ) as running:
        yield running


async def customer_down_on_sms(notifier: Notifier) -> tuple[str, str, str]:
    """A customer reachable by SMS and e-mail whose SMS provider answers 503 for good."""
    email, phone = f"{unique('b')}@example.com", f"+49151{random.randrange(10**8):08d}"
    consents = {"email": True, "sms": True}
    customer = await notifier.contact(email=email, phone=phone, consents=consents)
    await notifier.tell_provider(phone, "fail")
    return customer, email, phone


async def result_of(notifier: Notifier, delivery: dict[str, Any]) -> DeliveryResult:
    handle = notifier.handle(delivery["idempotency_key"])
    return await asyncio.wait_for(handle.result(), FINISHES_WITHIN)


async def test_a_provider_that_always_fails_is_tried_the_set_number_of_times_then_skipped(
    bounded: Notifier,
) -> None:
    customer, email, phone = await customer_down_on_sms(bounded)
    delivery = await bounded.deliver(
        customer_id=customer, template="welcome", channels=["sms", "email"], critical=True
    )
    result = await result_of(bounded, delivery)
    assert (result.status, result.channel) == ("sent", "email")
    tries = await bounded.provider_requests(phone)
    assert [request["mode"] for request in tries] == ["fail"] * ATTEMPTS
    assert len(await bounded.mail_to(email)) == 1
    sms, mail = (await bounded.delivery(delivery["id"]))["attempts"]
    assert (sms["channel"], sms["status"], sms["reason"]) == ("sms", "failed", GAVE_UP)
    assert (mail["channel"], mail["status"]) == ("email", "sent")


async def test_a_delivery_whose_only_channel_stays_down_fails_with_the_reason(
    bounded: Notifier,
) -> None:
    customer, email, phone = await customer_down_on_sms(bounded)
    delivery = await bounded.deliver(
        customer_id=customer, template="welcome", channels=["sms"], critical=True
    )
    result = await result_of(bounded, delivery)
    assert result.status == "failed"
    found = await bounded.delivery(delivery["id"])
    assert (found["status"], found["reason"]) == ("failed", GAVE_UP)
    assert len(await bounded.provider_requests(phone)) == ATTEMPTS
    assert await bounded.mail_to(email) == []
