"""A till-like client of the in-process loyalty API, and the data a till sends."""

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from kit.clock import utcnow
from kit.db import SessionFactory, unit_of_work
from kit.migrations import upgrade_async
from kit.stack import Infra
from kit.testing import app_client
from loyalty.app import create_app
from loyalty.expiry import SweepResult, sweep
from loyalty.models import outbox
from loyalty.reconcile import breaches
from loyalty.settings import LoyaltySettings


def sofa(price: int = 50_000, quantity: int = 1, **flags: Any) -> dict[str, Any]:
    return {"sku": "SOFA", "category": "sofas", "quantity": quantity, "price": price, **flags}


def lamp(price: int = 5_000, quantity: int = 2, **flags: Any) -> dict[str, Any]:
    return {"sku": "LAMP", "category": "lamps", "quantity": quantity, "price": price, **flags}


@dataclass
class Till:
    """What a POS terminal (and a campaign) does, against the in-process loyalty API."""

    http: httpx.AsyncClient
    sessions: SessionFactory
    settings: LoyaltySettings
    app: FastAPI

    async def member(self, **extra: Any) -> str:
        body = {"email": f"m-{uuid.uuid4().hex[:10]}@example.com", **extra}
        response = await self.http.post("/members", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def grant(self, member_id: str, amount: int, **fields: Any) -> dict[str, Any]:
        body = {
            "idempotency_key": uuid.uuid4().hex,
            "member_id": member_id,
            "amount": amount,
            "source": "promo",
            **fields,
        }
        if "expires_at" not in body:
            body.setdefault("lifetime_days", 30)
        response = await self.http.post("/grants", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def receipt(self, member_id: str, *lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "customer_id": member_id,
            "store_id": "berlin-01",
            "channel": "offline",
            "city": "Berlin",
            "lines": list(lines) or [sofa()],
            **extra,
        }

    async def calculate(self, member_id: str, *lines: dict[str, Any], **extra: Any) -> Any:
        response = await self.http.post(
            "/purchases/calculate", json=self.receipt(member_id, *lines, **extra)
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def reserve(
        self, member_id: str, *lines: dict[str, Any], txid: str | None = None, **extra: Any
    ) -> httpx.Response:
        body = {**self.receipt(member_id, *lines, **extra), "txid": txid or uuid.uuid4().hex}
        return await self.http.post("/purchases", json=body)

    async def confirm(self, txid: str, **headers: str) -> httpx.Response:
        return await self.http.post(f"/purchases/{txid}/confirm", json={}, headers=headers)

    async def cancel(self, txid: str) -> httpx.Response:
        return await self.http.post(f"/purchases/{txid}/cancel", json={})

    async def buy(self, member_id: str, *lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
        reserved = await self.reserve(member_id, *lines, **extra)
        assert reserved.status_code == 201, reserved.text
        confirmed = await self.confirm(reserved.json()["txid"])
        assert confirmed.status_code == 200, confirmed.text
        return {**reserved.json(), **confirmed.json()}

    async def return_items(
        self, txid: str, *lines: tuple[str, int], return_id: str | None = None
    ) -> httpx.Response:
        body = {
            "return_id": return_id or uuid.uuid4().hex,
            "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        }
        return await self.http.post(f"/purchases/{txid}/returns", json=body)

    async def balance(self, member_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/members/{member_id}/balance")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def sweep(self, now: datetime | None = None) -> SweepResult:
        return await sweep(self.sessions, self.settings.program_rules(), now)

    async def breaches(self) -> dict[str, list[str]]:
        async with unit_of_work(self.sessions) as session:
            return await breaches(session)


def settings_for(infra: Infra, database_url: str, namespace: str, **extra: Any) -> LoyaltySettings:
    return LoyaltySettings(
        database_url=database_url, event_namespace=namespace, **infra.servers, **extra
    )


async def open_till(settings: LoyaltySettings) -> AsyncIterator[Till]:
    await upgrade_async("loyalty:migrations", settings.database_url)
    app = create_app(settings)
    async with app_client(app) as client:
        till = Till(client, app.state.resources.sessions, settings, app)
        yield till
        assert await till.breaches() == {}


async def events(till: Till, event_type: str) -> list[dict[str, Any]]:
    """The events the service stored in its outbox, of one type, oldest first."""
    async with unit_of_work(till.sessions) as session:
        rows = (await session.execute(select(outbox.table.c.data).order_by("seq"))).scalars()
        decoded = [json.loads(data) for data in rows]
    return [event for event in decoded if event["type"] == event_type]


def days_from_now(days: float) -> str:
    return (utcnow() + timedelta(days=days)).isoformat()
