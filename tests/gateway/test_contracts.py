"""The gateway's own public schemas agree with the OpenAPI loyalty serves, and their examples
are valid: the gateway imports no service package, so this test is what keeps them in step."""

from typing import Any, Literal

import pytest
from pydantic import BaseModel

from gateway.customer_schemas import CUSTOMER_EXAMPLE, CustomerIn, CustomerOut
from gateway.schemas import CartClearedIn, CartUpdatedIn, EventAccepted, ProductViewedIn
from loyalty.app import create_app as loyalty_app
from loyalty.schemas import MemberCreate
from loyalty.settings import LoyaltySettings

# gateway schema -> the loyalty schema it forwards to or passes on
COUNTERPARTS = {CustomerIn: "MemberCreate", CustomerOut: "MemberOut"}
OWN = [CustomerIn, CustomerOut, CartUpdatedIn, CartClearedIn, ProductViewedIn, EventAccepted]


def json_types(node: dict[str, Any]) -> set[str]:
    """The JSON types a property may take, whatever the nesting of anyOf."""
    if "anyOf" in node:
        return set().union(*(json_types(option) for option in node["anyOf"]))
    return {node.get("type", node.get("$ref", "any"))}


def shape(schema: dict[str, Any]) -> dict[str, tuple[frozenset[str], str | None]]:
    return {
        name: (frozenset(json_types(node)), node.get("format"))
        for name, node in schema["properties"].items()
    }


@pytest.mark.parametrize("ours", list(COUNTERPARTS), ids=lambda model: model.__name__)
def test_the_public_schema_matches_what_loyalty_serves(ours: type[BaseModel]) -> None:
    served = loyalty_app(LoyaltySettings()).openapi()["components"]["schemas"]
    theirs = served[COUNTERPARTS[ours]]
    mode: Literal["validation", "serialization"] = (
        "validation" if ours is CustomerIn else "serialization"
    )
    assert shape(ours.model_json_schema(mode=mode)) == shape(theirs)
    assert set(ours.model_json_schema(mode=mode).get("required", [])) == set(
        theirs.get("required", [])
    )


@pytest.mark.parametrize("model", OWN, ids=lambda model: model.__name__)
def test_each_example_is_valid_and_each_field_described(model: type[BaseModel]) -> None:
    examples = model.model_json_schema().get("examples", [])
    if model in COUNTERPARTS:
        assert examples, model.__name__
    for example in examples:
        model.model_validate(example)
    if model in COUNTERPARTS:
        undescribed = [n for n, f in model.model_fields.items() if not f.description]
        assert not undescribed, (model.__name__, undescribed)


def test_the_registration_example_is_one_loyalty_accepts() -> None:
    MemberCreate.model_validate(CUSTOMER_EXAMPLE)
