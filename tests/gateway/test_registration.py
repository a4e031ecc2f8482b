"""Who may register a customer, and what a refused registration tells the caller."""

import uuid
from collections.abc import AsyncIterator

import pytest

from gateway.app import create_app
from kit.db import SessionFactory
from kit.stack import Infra
from kit.testing import app_client
from tests.gateway.conftest import CUSTOMER, Gateway, bearer, settings_for
from tests.gateway.serving import real_loyalty


@pytest.fixture
async def before_loyalty(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory
) -> AsyncIterator[Gateway]:
    async with real_loyalty(infra) as loyalty_url:
        settings = settings_for(infra, gateway_db, loyalty_url=loyalty_url)
        async with app_client(create_app(settings)) as client:
            yield Gateway(settings, gateway_sessions, client)


def contact() -> dict[str, object]:
    return {"email": f"anna-{uuid.uuid4().hex[:8]}@example.com", "consents": {"email": True}}


async def test_an_app_key_cannot_register_anyone(before_loyalty: Gateway) -> None:
    app_key = await before_loyalty.key("app", customer_id=CUSTOMER)
    answer = await before_loyalty.client.post(
        "/v1/customers", json=contact(), headers=bearer(app_key)
    )
    assert (answer.status_code, answer.json()["code"]) == (403, "missing_scope")


async def test_a_taken_contact_does_not_reveal_whose_it_is(before_loyalty: Gateway) -> None:
    pos_key = await before_loyalty.key("pos")
    body = contact()
    first = await before_loyalty.client.post("/v1/customers", json=body, headers=bearer(pos_key))
    again = await before_loyalty.client.post("/v1/customers", json=body, headers=bearer(pos_key))
    assert first.status_code == 201
    assert (again.status_code, again.json()["code"]) == (409, "member_exists")
    assert first.json()["id"] not in again.text


async def test_an_unknown_customer_is_customer_not_found(before_loyalty: Gateway) -> None:
    pos_key = await before_loyalty.key("pos")
    answer = await before_loyalty.client.get(
        f"/v1/customers/{uuid.uuid4()}", headers=bearer(pos_key)
    )
    assert answer.status_code == 404
    assert answer.json()["code"] == answer.json()["type"].split(":")[-1] == "customer_not_found"
