import gc
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from kit.errors import DomainError
from kit.settings import ServiceSettings
from kit.stack import Infra, free_port
from kit.testing import app_client
from kit.web import SessionDep, create_service_app


class BalanceTooLow(DomainError):
    code = "balance_too_low"
    status = 422
    title = "Not enough points"


class Order(BaseModel):
    amount: int


router = APIRouter()


@router.post("/orders")
async def place(order: Order) -> dict[str, int]:
    if order.amount > 10:
        raise BalanceTooLow("only 10 points available", available=10)
    return {"amount": order.amount}


@router.get("/backend")
async def backend(session: SessionDep) -> dict[str, int]:
    return {"pid": int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())}


@router.get("/crash")
async def crash() -> None:
    raise RuntimeError("a bug")


def settings_for(infra: Infra, database_url: str, **overrides: str) -> ServiceSettings:
    values = {
        "service_name": "test",
        "database_url": database_url,
        **infra.servers,
        **overrides,
    }
    return ServiceSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def client(infra: Infra, sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_service_app(
        settings_for(infra, sqlite_url), title="t", description="t", routers=[router]
    )
    async with app_client(app) as client:
        yield client


async def test_a_domain_error_is_problem_json_with_its_code(client: httpx.AsyncClient) -> None:
    response = await client.post("/orders", json={"amount": 11})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "balance_too_low"
    assert body["available"] == 10


async def test_bad_input_is_a_422_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/orders", json={"amount": "many"})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"][0]["field"] == "body.amount"
    malformed = await client.post(
        "/orders", content=b"{", headers={"content-type": "application/json"}
    )
    assert (malformed.status_code, malformed.json()["code"]) == (400, "malformed_json")


async def test_unknown_routes_and_methods_are_problems_too(client: httpx.AsyncClient) -> None:
    assert (await client.get("/nowhere")).json()["code"] == "not_found"
    assert (await client.get("/orders")).json()["code"] == "method_not_allowed"


async def test_a_bug_is_a_500_problem_without_internals(client: httpx.AsyncClient) -> None:
    response = await client.get("/crash")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "a bug" not in response.text


async def test_the_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "till-7-42"})
    assert given.headers["X-Request-ID"] == "till-7-42"
    made = await client.get("/healthz")
    assert len(made.headers["X-Request-ID"]) == 32


async def test_ready_when_every_real_dependency_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {
        "database": "ok",
        "nats": "ok",
        "redis": "ok",
        "temporal": "ok",
    }


async def test_not_ready_when_redis_is_unreachable(infra: Infra, sqlite_url: str) -> None:
    settings = settings_for(infra, sqlite_url, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    app = create_service_app(settings, title="t", description="t", routers=[])
    async with app_client(app) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("failing")
    assert response.json()["checks"]["database"] == "ok"


async def test_metrics_count_requests_by_route(client: httpx.AsyncClient) -> None:
    await client.post("/orders", json={"amount": 1})
    metrics = (await client.get("/metrics")).text
    assert 'http_requests_total{method="POST",route="/orders",status="200"} 1.0' in metrics


async def test_a_lost_database_connection_is_a_503_then_the_pool_recovers(
    infra: Infra, postgres_url: str
) -> None:
    app = create_service_app(
        settings_for(infra, postgres_url), title="t", description="t", routers=[router]
    )
    async with app_client(app) as client:
        first = await client.get("/backend")
        assert first.status_code == 200
        admin = await asyncpg.connect(
            host="127.0.0.1", port=infra.postgres_port, user="postgres", database="postgres"
        )
        try:
            await admin.fetchval("SELECT pg_terminate_backend($1)", first.json()["pid"])
        finally:
            await admin.close()

        lost = await client.get("/backend")
        assert lost.status_code == 503
        assert lost.json()["code"] == "database_unavailable"
        assert lost.headers["retry-after"] == "1"

        again = await client.get("/backend")
        assert again.status_code == 200
        assert again.json()["pid"] != first.json()["pid"]


async def test_what_startup_built_is_kept_out_of_the_collectors_full_passes(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/healthz")).status_code == 200
    assert gc.get_freeze_count() > 0
