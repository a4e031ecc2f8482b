"""Made-up keys are cheap for the gateway, and an address that keeps failing is slowed down."""

import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from gateway.app import create_app
from kit.db import SessionFactory
from kit.stack import Infra
from kit.testing import app_client
from tests.gateway.conftest import CUSTOMER, Gateway, bearer, settings_for

VIEW = {"type": "product.viewed", "sku": "SKU-1"}


@pytest.fixture
def key_reads() -> Iterator[list[str]]:
    """Every statement any engine in this process sends that reads the API keys."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM api_keys" in statement:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


@pytest.fixture
async def strict_gateway(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory
) -> AsyncIterator[Gateway]:
    settings = settings_for(infra, gateway_db, failed_auth_per_second=0.01, failed_auth_burst=3)
    async with app_client(create_app(settings)) as client:
        yield Gateway(settings, gateway_sessions, client)


def made_up() -> str:
    return f"rp_{secrets.token_hex(4)}_{secrets.token_urlsafe(8)}"


async def test_an_unknown_prefix_is_read_from_the_database_once(
    gateway: Gateway, key_reads: list[str]
) -> None:
    forged = made_up()
    answers = [
        await gateway.client.post("/v1/events", json=VIEW, headers=bearer(forged)) for _ in range(5)
    ]
    assert [a.status_code for a in answers] == [401] * 5
    assert len(key_reads) == 1


async def test_an_address_that_keeps_failing_is_blocked_from_database_reads(
    strict_gateway: Gateway, key_reads: list[str]
) -> None:
    good = await strict_gateway.key("app", customer_id=CUSTOMER)
    post = strict_gateway.client.post
    assert (await post("/v1/events", json=VIEW, headers=bearer(good))).status_code == 202
    answers = [await post("/v1/events", json=VIEW, headers=bearer(made_up())) for _ in range(6)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429, 429, 429]
    refused = answers[-1]
    assert refused.json()["code"] == "too_many_failed_authentications"
    assert refused.json()["retryable"] is True
    assert int(refused.headers["retry-after"]) >= 1
    reads_while_blocked = len(key_reads)
    await post("/v1/events", json=VIEW, headers=bearer(made_up()))
    assert len(key_reads) == reads_while_blocked
    # A key the gateway already knows still works from the blocked address.
    assert (await post("/v1/events", json=VIEW, headers=bearer(good))).status_code == 202
