"""Per-key GCRA rate limits in Redis, shared by every replica, stricter where messages are sent."""

from collections.abc import AsyncIterator
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends

from gateway.app import create_app
from gateway.auth import scoped
from gateway.models import ApiKey
from kit.db import SessionFactory
from kit.stack import Infra, free_port
from kit.testing import app_client
from tests.gateway.conftest import CUSTOMER, Gateway, bearer, settings_for

VIEW = {"type": "product.viewed", "sku": "SKU-1"}

sending = APIRouter(prefix="/v1")


@sending.post("/test-sends", openapi_extra={"x-costly": True})
async def send_something(_key: Annotated[ApiKey, Depends(scoped("marketer"))]) -> dict[str, str]:
    return {"sent": "yes"}


@pytest.fixture
async def limited(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory
) -> AsyncIterator[Gateway]:
    settings = settings_for(
        infra,
        gateway_db,
        rate_limit_per_second=0.5,
        rate_limit_burst=5,
        costly_rate_limit_per_second=0.1,
        costly_rate_limit_burst=2,
    )
    app = create_app(settings)
    app.include_router(sending)
    async with app_client(app) as client:
        yield Gateway(settings, gateway_sessions, client)


async def test_a_key_over_its_burst_gets_429_with_retry_after(limited: Gateway) -> None:
    key = await limited.key("app", customer_id=CUSTOMER)
    answers = [
        await limited.client.post("/v1/events", json=VIEW, headers=bearer(key)) for _ in range(7)
    ]
    assert [a.status_code for a in answers[:5]] == [202] * 5
    assert [a.status_code for a in answers[5:]] == [429, 429]
    assert answers[0].headers["ratelimit-policy"] == '"default";q=5;w=10'
    assert answers[0].headers["ratelimit"].startswith('"default";r=4;t=')
    assert answers[4].headers["ratelimit"].startswith('"default";r=0;')
    refused = answers[5]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 2


async def test_each_key_has_its_own_budget(limited: Gateway) -> None:
    busy = await limited.key("app", customer_id=CUSTOMER)
    quiet = await limited.key("app", customer_id=CUSTOMER)
    for _ in range(6):
        await limited.client.post("/v1/events", json=VIEW, headers=bearer(busy))
    answer = await limited.client.post("/v1/events", json=VIEW, headers=bearer(quiet))
    assert answer.status_code == 202


async def test_replicas_share_one_budget(limited: Gateway) -> None:
    key = await limited.key("app", customer_id=CUSTOMER)
    async with app_client(create_app(limited.settings)) as replica:
        for client in (limited.client, replica) * 3:
            last = await client.post("/v1/events", json=VIEW, headers=bearer(key))
    assert last.status_code == 429


async def test_sending_routes_have_the_stricter_limit(limited: Gateway) -> None:
    key = await limited.key("marketer")
    answers = [await limited.client.post("/v1/test-sends", headers=bearer(key)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["ratelimit-policy"] == '"costly";q=2;w=20'
    assert int(answers[2].headers["retry-after"]) >= 9


async def test_a_redis_outage_is_a_503_not_a_500(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory
) -> None:
    settings = settings_for(infra, gateway_db, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    async with app_client(create_app(settings)) as client:
        key = await Gateway(settings, gateway_sessions, client).key("app", customer_id=CUSTOMER)
        plain = await client.post("/v1/events", json=VIEW, headers=bearer(key))
        keyed = await client.post(
            "/v1/events", json=VIEW, headers=bearer(key, **{"Idempotency-Key": "k"})
        )
    assert (plain.status_code, plain.json()["code"]) == (503, "rate_limiter_unavailable")
    assert (keyed.status_code, keyed.json()["code"]) == (503, "idempotency_store_unavailable")
