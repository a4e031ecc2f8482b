"""The HTTP provider adapters against the local HTTP provider sink: the messenger adapter's own."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from kit.stack import free_port
from kit.testing import unique
from notifier.providers import (
    HttpMessengerProvider,
    OutgoingMessage,
    ProviderUnavailable,
    Undeliverable,
    provider_client,
)
from notifier.settings import NotifierSettings
from tests.notifier.conftest import Notifier, Sinks


@pytest.fixture
def settings(sinks: Sinks) -> NotifierSettings:
    return NotifierSettings(
        provider_url=sinks.provider_url,
        provider_api_key="messenger-key",
        provider_attempts=3,
        provider_backoff_seconds=0.01,
        callback_url=f"http://127.0.0.1:{free_port()}/callbacks/provider",
    )


@pytest.fixture
async def messenger(settings: NotifierSettings) -> AsyncIterator[HttpMessengerProvider]:
    async with provider_client(settings) as client:
        yield HttpMessengerProvider(client, settings)


async def received(sinks: Sinks, to: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{sinks.provider_url}/requests", params={"to": to})
    found: list[dict[str, object]] = response.json()
    return found


async def tell(sinks: Sinks, to: str, mode: str, times: int | None = None) -> None:
    async with httpx.AsyncClient() as client:
        body = {"to": to, "mode": mode, "times": times}
        assert (await client.post(f"{sinks.provider_url}/control", json=body)).status_code == 200


def phone() -> str:
    """A mobile number of its own, so the sink's rules and records are this test's."""
    return f"+49151{uuid.uuid4().int % 10**8:08d}"


def message(to: str) -> OutgoingMessage:
    return OutgoingMessage(unique("attempt-"), "messenger", to, None, "Hello Anna, 20% off today")


async def test_a_messenger_message_reaches_the_provider_with_its_text_and_key(
    messenger: HttpMessengerProvider, settings: NotifierSettings, sinks: Sinks
) -> None:
    to = phone()
    sent = message(to)
    receipt = await messenger.send(sent)
    [request] = await received(sinks, to)
    assert request["channel"] == "messenger"
    assert request["authorization"] == "Bearer messenger-key"
    assert request["body"] == {
        "to": to,
        "type": "text",
        "text": "Hello Anna, 20% off today",
        "id": sent.message_id,
        "callback_url": settings.callback_url,
    }
    assert receipt.provider_message_id.startswith("pm_")


async def test_the_same_message_sent_again_is_one_message_with_one_receipt(
    messenger: HttpMessengerProvider, sinks: Sinks
) -> None:
    to = phone()
    sent = message(to)
    first, again = await messenger.send(sent), await messenger.send(sent)
    assert first == again
    assert len(await received(sinks, to)) == 1


async def test_an_unknown_recipient_is_undeliverable_at_once(
    messenger: HttpMessengerProvider, sinks: Sinks
) -> None:
    to = phone()
    await tell(sinks, to, "invalid")
    with pytest.raises(Undeliverable) as refused:
        await messenger.send(message(to))
    assert refused.value.reason == "invalid_recipient"
    assert len(await received(sinks, to)) == 1  # not retried


async def test_a_provider_outage_is_retried_with_backoff_then_given_up(
    messenger: HttpMessengerProvider, sinks: Sinks
) -> None:
    flaky, down = phone(), phone()
    await tell(sinks, flaky, "fail", times=2)
    assert (await messenger.send(message(flaky))).provider_message_id.startswith("pm_")
    assert [r["mode"] for r in await received(sinks, flaky)] == ["fail", "fail", "ok"]

    await tell(sinks, down, "fail")
    with pytest.raises(ProviderUnavailable):
        await messenger.send(message(down))
    assert len(await received(sinks, down)) == 3


async def test_a_messenger_cascade_moves_on_to_email_when_the_message_is_undelivered(
    notifier: Notifier,
) -> None:
    """The adapter inside a delivery: the sink's signed `undelivered` callback moves it on."""
    await notifier.template("offer", "messenger", "{{ name }}, 20% off: {{ click_url }}")
    await notifier.template("offer", "email", "Hello {{ name }}", subject="Spring offer")
    to, email = phone(), f"{unique('m')}@example.com"
    consents = {"messenger": True, "email": True}
    customer = await notifier.contact(phone=to, email=email, consents=consents, time_zone="UTC")
    await notifier.tell_provider(to, "undelivered")
    delivery = await notifier.deliver(
        customer_id=customer, template="offer", channels=["messenger", "email"], critical=True
    )
    result = await notifier.handle(delivery["idempotency_key"]).result()
    assert (result.status, result.channel) == ("sent", "email")
    [request] = await notifier.provider_requests(to)
    assert request["channel"] == "messenger"
    assert request["body"]["text"].startswith("Anna, 20% off: http://gateway.test/v1/t/c/")
    found = await notifier.delivery(delivery["id"])
    assert [(a["channel"], a["status"]) for a in found["attempts"]] == [
        ("messenger", "failed"),
        ("email", "sent"),
    ]
    assert len(await notifier.mail_to(email)) == 1
