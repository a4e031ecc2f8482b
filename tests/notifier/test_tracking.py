"""Signed links through the gateway (click, open pixel, unsubscribe) and provider callbacks."""

import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app as create_gateway
from kit.stack import Infra
from kit.testing import app_client, migrated_database, unique, wait_for
from notifier.signing import callback_signature
from tests.gateway.conftest import settings_for as gateway_settings
from tests.notifier.conftest import SECRET, Notifier, click_token


@pytest.fixture
async def gateway(infra: Infra, notifier: Notifier) -> AsyncIterator[httpx.AsyncClient]:
    database = await migrated_database(infra, "gateway")
    settings = gateway_settings(infra, database, notifier_url=str(notifier.api.base_url))
    async with app_client(create_gateway(settings)) as client:
        yield client


async def sent_email(notifier: Notifier) -> tuple[str, dict[str, Any], dict[str, Any]]:
    await notifier.template(
        "news",
        "email",
        "Hi {{ name }}: {{ click_url }} - unsubscribe: {{ unsubscribe_url }}",
        subject="News",
    )
    email = f"{unique('t')}@example.com"
    customer = await notifier.contact(email=email, consents={"email": True})
    delivery = await notifier.deliver(
        customer_id=customer,
        template="news",
        critical=True,
        variables={"link": "https://shop.example/spring"},
    )
    await notifier.handle(delivery["idempotency_key"]).result()
    mail = (await wait_for(lambda: notifier.mail_to(email), "the email"))[0]
    return customer, delivery, mail


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


async def test_a_click_through_the_gateway_redirects_and_is_recorded(
    notifier: Notifier, gateway: httpx.AsyncClient
) -> None:
    _customer, delivery, mail = await sent_email(notifier)
    token = click_token(mail["text"])
    clicked = await gateway.get(f"/v1/t/c/{token}")
    assert (clicked.status_code, clicked.headers["location"]) == (
        302,
        "https://shop.example/spring",
    )
    assert (await notifier.delivery(delivery["id"]))["status"] == "clicked"
    body, mac = token.split(".")
    forged = await gateway.get(f"/v1/t/c/{body[:-2]}xx.{mac}")
    assert (forged.status_code, forged.json()["code"]) == (404, "invalid_token")


async def test_the_open_pixel_is_an_image_and_records_the_open(
    notifier: Notifier, gateway: httpx.AsyncClient
) -> None:
    _customer, delivery, mail = await sent_email(notifier)
    pixel = re.search(r'src="([^"]+)"', mail["html"])
    assert pixel
    opened = await gateway.get(_path(pixel.group(1)))
    assert (opened.status_code, opened.headers["content-type"]) == (200, "image/gif")
    assert (await notifier.delivery(delivery["id"]))["attempts"][0]["opened_at"] is not None
    assert any(s.endswith("message_opened.v1") for s in await notifier.subjects_in_outbox())


async def test_the_unsubscribe_link_withdraws_consent(
    notifier: Notifier, gateway: httpx.AsyncClient
) -> None:
    customer, _delivery, mail = await sent_email(notifier)
    link = mail["headers"]["List-Unsubscribe"].strip("<>")
    assert link in mail["text"]
    page = await gateway.get(_path(link))
    assert page.status_code == 200 and "<form" in page.text
    assert (await notifier.api.get(f"/contacts/{customer}")).json()["consents"]["email"]
    done = await gateway.post(_path(link))
    assert done.status_code == 200 and "unsubscribed" in done.text
    contact = (await notifier.api.get(f"/contacts/{customer}")).json()
    assert contact["consents"]["email"] is False
    history = (await notifier.api.get(f"/contacts/{customer}/consents")).json()
    assert history[-1]["source"] == "unsubscribe_link"


async def callback(
    notifier: Notifier, report: dict[str, Any], secret: str = SECRET, age: int = 0
) -> httpx.Response:
    body = json.dumps(report).encode()
    timestamp = int(time.time()) - age
    headers = {
        "content-type": "application/json",
        "X-Provider-Timestamp": str(timestamp),
        "X-Provider-Signature": callback_signature(secret, timestamp, body),
    }
    return await notifier.api.post("/callbacks/provider", content=body, headers=headers)


async def test_forged_and_stale_callbacks_are_rejected(notifier: Notifier) -> None:
    phone = "+4915100000001"
    await notifier.tell_provider(phone, "silent")
    customer = await notifier.contact(phone=phone, consents={"sms": True})
    delivery = await notifier.deliver(
        customer_id=customer, template="welcome_reminder", channel="sms", critical=True
    )
    await notifier.handle(delivery["idempotency_key"]).result()
    attempt_id = (await notifier.delivery(delivery["id"]))["attempts"][0]["id"]
    report = {"id": attempt_id, "status": "delivered"}

    forged = await callback(notifier, report, secret="guessed")
    stale = await callback(notifier, report, age=3600)
    assert (forged.status_code, forged.json()["code"]) == (401, "invalid_signature")
    assert (stale.status_code, stale.json()["code"]) == (401, "stale_callback")
    assert (await notifier.delivery(delivery["id"]))["status"] == "sent"

    assert (await callback(notifier, report)).status_code == 204
    assert (await notifier.delivery(delivery["id"]))["status"] == "delivered"
