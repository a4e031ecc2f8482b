"""What a till can read from the contract: strict numbers, sane bounds, units on every field,
pending points with their dates."""

from typing import Any

import pytest
from pydantic import BaseModel

from loyalty import purchase_schemas, schemas
from loyalty.app import create_app
from loyalty.settings import LoyaltySettings
from tests.loyalty.till import Till, days_from_now, lamp, sofa

UNITS = ("minor units", "points", "items", "days", "members", "member ids")


@pytest.mark.parametrize(
    ("line", "extra", "field"),
    [
        ({"price": "1000"}, {}, "body.lines.0.price"),
        ({"quantity": "2"}, {}, "body.lines.0.quantity"),
        ({"no_redeem": 0}, {}, "body.lines.0.no_redeem"),
        ({"price": 10**12, "quantity": 2}, {}, "body.lines.0"),
        ({}, {"points": -500}, "body.points"),
        ({}, {"points": "5"}, "body.points"),
        ({}, {"points": 10**10}, "body.points"),
    ],
)
async def test_numbers_are_strict_and_bounded(
    till: Till, line: dict[str, Any], extra: dict[str, Any], field: str
) -> None:
    member = await till.member()
    body = till.receipt(member, {**sofa(), **line}, **extra)
    response = await till.http.post("/purchases/calculate", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"].startswith(field)


async def test_a_receipt_past_the_sanity_bound_is_refused(till: Till) -> None:
    member = await till.member()
    big = {"sku": "YACHT", "quantity": 1, "price": 6 * 10**11}
    body = till.receipt(member, big, big)
    response = await till.http.post("/purchases/calculate", json=body)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    "change", [{"amount": "5"}, {"amount": -5}, {"lifetime_days": "30"}, {"amount": 10**10}]
)
async def test_grants_take_only_whole_positive_numbers(till: Till, change: dict[str, Any]) -> None:
    member = await till.member()
    body = {
        "idempotency_key": "k",
        "member_id": member,
        "amount": 5,
        "lifetime_days": 30,
        "source": "promo",
        **change,
    }
    response = await till.http.post("/grants", json=body)
    assert response.status_code == 422, response.text


async def test_pending_points_show_when_they_open_and_when_they_burn(till: Till) -> None:
    member = await till.member()
    opens, burns = days_from_now(3), days_from_now(14)
    await till.grant(member, 70, active_from=opens, expires_at=burns)
    await till.grant(member, 5, lifetime_days=30)
    balance = await till.balance(member)
    assert (balance["available"], balance["pending"]) == (5, 70)
    [pending] = balance["pending_lots"]
    assert pending["amount"] == 70
    assert pending["active_from"][:19] == opens[:19]
    assert pending["expires_at"][:19] == burns[:19]
    soonest = balance["expiring"][0]
    assert (soonest["amount"], soonest["pending"]) == (70, 70)
    assert soonest["expires_at"][:19] == burns[:19]


async def test_line_maxima_never_sum_past_the_receipts_cap(till: Till) -> None:
    member = await till.member()
    await till.grant(member, 1_000)
    quote = await till.calculate(member, sofa(), lamp(), points="max")
    assert [line["max_redeemable"] for line in quote["lines"]] == [100, 20]
    assert sum(line["max_redeemable"] for line in quote["lines"]) <= quote["total_amount"] // 500


async def test_every_number_in_the_contract_names_its_unit(till: Till) -> None:
    schemas = (await till.http.get("/openapi.json")).json()["components"]["schemas"]
    missing = [
        f"{name}.{field}"
        for name, schema in schemas.items()
        if name not in ("MemberCreate", "MemberOut", "ValidationError", "HTTPValidationError")
        for field, spec in schema.get("properties", {}).items()
        if _is_integer(spec) and not any(unit in spec.get("description", "") for unit in UNITS)
    ]
    assert missing == []


def _is_integer(spec: dict[str, Any]) -> bool:
    options = spec.get("anyOf", [spec])
    return any(option.get("type") == "integer" for option in options)


def test_every_example_loyalty_serves_is_valid_for_its_schema() -> None:
    """Checked on the served document: a null in an example is left out of it, which once
    made the return's example lack a required field."""
    served = create_app(LoyaltySettings()).openapi()["components"]["schemas"]
    models = {
        name: model
        for module in (purchase_schemas, schemas)
        for name, model in vars(module).items()
        if isinstance(model, type) and issubclass(model, BaseModel)
    }
    checked = 0
    for name, schema in served.items():
        for example in schema.get("examples", []):
            models[name].model_validate(example)
            checked += 1
    assert "examples" in served["MemberOut"] and "examples" in served["ReturnOut"]
    assert checked >= 10
