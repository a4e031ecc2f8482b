"""Retryable answers are marked so and never kept by the idempotency records.

The service behind the gateway is a small stand-in that answers loyalty's retryable 409
`ledger_busy` (as loyalty does when the points changed while reserving), then succeeds.
"""

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI, Response

from gateway.app import create_app
from kit.db import SessionFactory
from kit.errors import problem
from kit.stack import Infra
from kit.testing import app_client
from tests.gateway.conftest import Gateway, bearer, settings_for
from tests.gateway.serving import serving


def busy_once() -> FastAPI:
    """Each txid: first `ledger_busy`, then a confirmation."""
    app, seen = FastAPI(), set[str]()

    @app.post("/purchases/{txid}/confirm")
    async def confirm(txid: str) -> Response:
        if txid not in seen:
            seen.add(txid)
            return problem(409, "ledger_busy", "The points changed while reserving; retry", "")
        return Response(f'{{"txid": "{txid}", "status": "confirmed"}}', 200)

    return app


@pytest.fixture
async def before_busy_loyalty(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory
) -> AsyncIterator[Gateway]:
    async with serving(busy_once()) as loyalty_url:
        settings = settings_for(infra, gateway_db, loyalty_url=loyalty_url)
        async with app_client(create_app(settings)) as client:
            yield Gateway(settings, gateway_sessions, client)


async def test_a_retry_after_ledger_busy_runs_again(before_busy_loyalty: Gateway) -> None:
    key = await before_busy_loyalty.key("pos")
    headers = bearer(key, **{"Idempotency-Key": "till-7-confirm-1"})
    confirm = "/v1/purchases/till7-000123/confirm"
    busy = await before_busy_loyalty.client.post(confirm, json={}, headers=headers)
    again = await before_busy_loyalty.client.post(confirm, json={}, headers=headers)
    assert (busy.status_code, busy.json()["code"]) == (409, "ledger_busy")
    assert busy.json()["retryable"] is True
    assert again.status_code == 200, again.text
    assert "idempotent-replayed" not in again.headers
    replayed = await before_busy_loyalty.client.post(confirm, json={}, headers=headers)
    assert replayed.headers["idempotent-replayed"] == "true"
