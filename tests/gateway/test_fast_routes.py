"""The till's usual calls, served by the gateway's fast routes (gateway.fast_routes), get the
answers the routes give, headers included: every question asked both ways, answers compared.

Loyalty is real, on its own PostgreSQL database, behind a real HTTP server.
"""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway.app import create_app
from kit.db import SessionFactory
from kit.stack import Infra
from kit.testing import app_client
from tests.fast_routes import plain, routed
from tests.gateway.conftest import Gateway, bearer, settings_for
from tests.gateway.serving import real_loyalty

LAMP = {"sku": "LAMP", "category": "lamps", "quantity": 2, "price": 10_000}
# What a till reads of an answer: the problem's or the rate limit's headers, not the request id.
HEADERS = ("content-type", "retry-after", "ratelimit-policy", "ratelimit")


@dataclass
class Counter:
    gateway: Gateway
    app: FastAPI
    loyalty: httpx.AsyncClient

    async def customer(self, key: str, points: int = 1_000) -> str:
        answer = await self.post(key, "/v1/customers", {"email": f"{uuid.uuid4().hex}@example.com"})
        assert answer.status_code == 201, answer.text
        member = str(answer.json()["id"])
        grant = {"idempotency_key": uuid.uuid4().hex, "member_id": member, "amount": points}
        granted = await self.loyalty.post(
            "/grants", json={**grant, "lifetime_days": 30, "source": "promo"}
        )
        assert granted.status_code == 201, granted.text
        return member

    async def post(
        self, key: str | None, path: str, body: object = None, **extra: Any
    ) -> httpx.Response:
        headers = {**(bearer(key) if key else {}), **extra.pop("headers", {})}
        if body is not None:
            extra["json"] = body
        return await self.gateway.client.post(path, headers=headers, **extra)


def _txid() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


Asked = Callable[[Counter, str], Awaitable[list[httpx.Response]]]


@pytest.fixture
async def counter(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory
) -> AsyncIterator[Counter]:
    async with real_loyalty(infra) as loyalty_url:
        # A bucket that does not refill during a test: what each answer says is left is exact.
        limits = {"rate_limit_per_second": 0.001, "rate_limit_burst": 50}
        app = create_app(settings_for(infra, gateway_db, loyalty_url=loyalty_url, **limits))
        async with (
            app_client(app) as client,
            httpx.AsyncClient(base_url=loyalty_url, timeout=30) as loyalty,
        ):
            yield Counter(Gateway(app.state.settings, gateway_sessions, client), app, loyalty)


async def _both_ways(counter: Counter, questions: Asked, fast: bool) -> list[Any]:
    """Status, body and headers of each answer, for a new POS key, the fast routes on or off;
    this run's own ids named by role."""
    key = await counter.gateway.key("pos")
    counter.app.state.fast_routes = fast
    try:
        answers = await questions(counter, key)
    finally:
        counter.app.state.fast_routes = True
    names = {key.split("_")[1]: "<key>"}
    seen = [a.json() for a in answers if a.headers.get("content-type", "").endswith("json")]
    for body in seen:
        for field in ("customer_id", "txid"):
            if isinstance(body, dict) and isinstance(body.get(field), str):
                names.setdefault(body[field], f"<{field} {len(names)}>")
    return [
        (
            answer.status_code,
            plain(answer.json(), names),
            {h: answer.headers.get(h) for h in HEADERS},
        )
        for answer in answers
    ]


async def _usual(counter: Counter, key: str) -> list[httpx.Response]:
    member = await counter.customer(key)
    receipt = {"customer_id": member, "store_id": "s1", "channel": "offline", "lines": [LAMP]}
    txid, other_txid = _txid(), _txid()
    quote = await counter.post(key, "/v1/purchases/calculate", {**receipt, "points": 50})
    reserved = await counter.post(key, "/v1/purchases", {**receipt, "txid": txid, "points": 50})
    confirmed = await counter.post(key, f"/v1/purchases/{txid}/confirm", {})
    replayed = await counter.post(key, f"/v1/purchases/{txid}/confirm?store_id=s1", {})
    too_many = {**receipt, "txid": other_txid, "points": 10_000}
    other = await counter.post(key, "/v1/purchases", too_many)
    return [quote, reserved, confirmed, replayed, other]


async def _refused(counter: Counter, key: str) -> list[httpx.Response]:
    """Taken by the fast routes, and refused by the key's checks or by loyalty."""
    member = await counter.customer(key)
    receipt = {"customer_id": member, "store_id": "s1", "channel": "offline", "lines": [LAMP]}
    app_key = await counter.gateway.key("app", customer_id=member)
    store_key = await counter.gateway.key("pos", store_id="s2")
    nobody = str(uuid.uuid4())
    return [
        await counter.post(None, "/v1/purchases/calculate", receipt),
        await counter.post("rp_nope_nope", "/v1/purchases/calculate", receipt),
        await counter.post(app_key, "/v1/purchases", {**receipt, "txid": _txid()}),
        await counter.post(store_key, "/v1/purchases", {**receipt, "txid": _txid()}),
        await counter.post(key, "/v1/purchases/nothing-here/confirm", {}),
        await counter.post(key, "/v1/purchases", {**receipt, "customer_id": nobody, "txid": "t"}),
    ]


async def _unusual(counter: Counter, key: str) -> list[httpx.Response]:
    """Calls the fast routes leave to the routes."""
    member = await counter.customer(key)
    receipt = {"customer_id": member, "store_id": "s1", "channel": "offline", "lines": [LAMP]}
    json_type = {"content-type": "application/json"}
    txid = _txid()
    reserved = await counter.post(key, "/v1/purchases", {**receipt, "txid": txid})
    step = f"/v1/purchases/{txid}/confirm"
    return [
        await counter.post(key, "/v1/purchases", content=b"{oops", headers=json_type),
        await counter.post(key, "/v1/purchases", {**receipt, "txid": txid, "extra": 1}),
        await counter.post(None, "/v1/purchases/calculate", {"lines": []}),
        await counter.post(key, "/v1/purchases/calculate?store_id=s1", receipt),
        reserved,
        await counter.post(key, f"{step}?store_id=no/pe", {}),
        await counter.post(key, f"{step}?store_id={'s' * 65}", {}),
        await counter.post(key, step),
        await counter.post(key, f"{step}?store_id=s1&store_id=s1", {}),
        await counter.post(key, f"{step}?also=1", {}),
    ]


@pytest.mark.parametrize(
    ("questions", "taken"),
    [(_usual, 5), (_refused, 6), (_unusual, 1)],
    ids=["usual", "refused", "left-to-the-route"],
)
async def test_the_fast_routes_answer_as_the_routes_do(
    counter: Counter, monkeypatch: pytest.MonkeyPatch, questions: Asked, taken: int
) -> None:
    with routed(monkeypatch) as solved:
        by_route = await _both_ways(counter, questions, fast=False)
    through_routes = len(solved)
    with routed(monkeypatch) as solved:
        fast = await _both_ways(counter, questions, fast=True)
    assert fast == by_route
    assert len(solved) == through_routes - taken  # the rest took the routes' own way
