"""Strict request bodies on every API: kit.schemas.StrictModel and the malformed-JSON problem."""

from datetime import date
from typing import Any, Literal
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from pydantic import AwareDatetime, Field, ValidationError

from kit.errors import install_error_handlers
from kit.schemas import StrictModel
from notifier.schemas import ConsentIn, PolicyIn
from orchestrator.schemas import CampaignCreate
from segments.schemas import PreviewIn


class Line(StrictModel):
    sku: str
    price: int = Field(ge=0)


class Order(StrictModel):
    placed_on: date
    at: AwareDatetime | None = None
    id: UUID
    lines: list[Line] = []
    consents: dict[Literal["email", "sms"], bool] = {}
    total: int | None = None


GOOD: dict[str, Any] = {
    "placed_on": "2026-05-17",
    "at": "2026-05-17T10:00:00Z",
    "id": "6f1c2b9e-4a57-4d0e-9a1f-2f1d6c3e8b10",
    "lines": [{"sku": "SKU-1", "price": 1000}],
    "consents": {"email": True},
}


def test_strings_for_dates_times_and_ids_are_read() -> None:
    order = Order.model_validate(GOOD)
    assert order.placed_on == date(2026, 5, 17) and order.lines[0].price == 1000


@pytest.mark.parametrize(
    "change",
    [
        {"total": "1000"},
        {"total": False},
        {"total": 10.0},
        {"lines": [{"sku": "SKU-1", "price": "1000"}]},
        {"lines": [{"sku": 1, "price": 1}]},
        {"consents": {"email": 0}},
        {"consents": {"email": "yes"}},
        {"total": 2**53},
        {"lines": [{"sku": "S", "price": 5 * 10**17}]},
        {"surprise": 1},
    ],
)
def test_json_is_taken_as_written(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Order.model_validate(GOOD | change)


@pytest.mark.parametrize(
    ("schema", "body"),
    [
        (PreviewIn, {"definition": {"segment": "recency.cooling"}, "sample_size": "5"}),
        (ConsentIn, {"granted": 0, "source": "app"}),
        (
            CampaignCreate,
            {"name": "N", "segment": "s", "message": {"template": "t"}, "rate_per_second": "9"},
        ),
        (PolicyIn, {"daily_cap": "3", "quiet_start": "21:00:00"}),
    ],
)
def test_the_services_request_bodies_are_strict(schema: type[StrictModel], body: object) -> None:
    with pytest.raises(ValidationError):
        schema.model_validate(body)


async def test_malformed_json_is_a_400_problem() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/orders")
    async def place(order: Order) -> dict[str, str]:
        return {"id": str(order.id)}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        broken = await client.post(
            "/orders",
            content=b'{"placed_on": "2026-05-17",',
            headers={"content-type": "application/json"},
        )
        typed = await client.post("/orders", json=GOOD | {"total": "5"})
    assert broken.status_code == 400
    assert broken.headers["content-type"] == "application/problem+json"
    assert broken.json()["code"] == "malformed_json"
    assert (typed.status_code, typed.json()["code"]) == (422, "validation_error")
