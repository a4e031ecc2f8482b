"""The gateway's public POS schemas against the OpenAPI loyalty serves, and their examples.

The gateway owns its POS schemas (it imports no service package, and its image ships none);
this test is what keeps them equal to loyalty's: every body a till sends and every answer it
reads has the same shape on both sides, once references are inlined and prose is set aside.
"""

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from gateway import pos_schemas
from gateway.app import create_app
from gateway.settings import GatewaySettings
from loyalty.app import create_app as loyalty_app
from loyalty.settings import LoyaltySettings
from tests.gateway.test_marketer_contract import body_of, success_of

ROOT = Path(__file__).resolve().parents[2]
# (method, gateway path, loyalty path)
ROUTES = [
    ("post", "/v1/purchases/calculate", "/purchases/calculate"),
    ("post", "/v1/purchases", "/purchases"),
    ("post", "/v1/purchases/{txid}/confirm", "/purchases/{txid}/confirm"),
    ("post", "/v1/purchases/{txid}/cancel", "/purchases/{txid}/cancel"),
    ("post", "/v1/purchases/{txid}/returns", "/purchases/{txid}/returns"),
    ("get", "/v1/customers/{customer_id}/balance", "/members/{member_id}/balance"),
]


@pytest.fixture(scope="module")
def documents() -> tuple[dict[str, Any], dict[str, Any]]:
    return create_app(GatewaySettings()).openapi(), loyalty_app(LoyaltySettings()).openapi()


def query_names(operation: dict[str, Any]) -> dict[str, bool]:
    return {
        p["name"]: p.get("required", False)
        for p in operation.get("parameters", [])
        if p["in"] == "query"
    }


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route[0]} {route[1]}")
def test_each_pos_body_and_answer_matches_loyalty(
    route: tuple[str, str, str], documents: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    method, public_path, internal_path = route
    public, internal = documents
    ours, theirs = public["paths"][public_path][method], internal["paths"][internal_path][method]
    assert body_of(ours, public) == body_of(theirs, internal)
    assert success_of(ours, public) == success_of(theirs, internal)
    assert query_names(ours) == query_names(theirs)


def components_of(node: Any, document: dict[str, Any], seen: set[str]) -> set[str]:
    """The names of the components ``node`` refers to, directly or through others."""
    if isinstance(node, list):
        for item in node:
            components_of(item, document, seen)
    elif isinstance(node, dict):
        if "$ref" in node and (name := node["$ref"].rsplit("/", 1)[-1]) not in seen:
            seen.add(name)
            components_of(document["components"]["schemas"][name], document, seen)
        for value in node.values():
            components_of(value, document, seen)
    return seen


def pos_components() -> dict[str, dict[str, Any]]:
    document = create_app(GatewaySettings()).openapi()
    names: set[str] = set()
    for method, path, _ in ROUTES:
        operation = document["paths"][path][method]
        body = operation.get("requestBody", {})
        answers = [a for s, a in operation["responses"].items() if s.startswith("2")]
        components_of([body, answers], document, names)
    return {name: document["components"]["schemas"][name] for name in sorted(names)}


def model_named(name: str) -> type[BaseModel]:
    # FastAPI names a model's request and answer forms apart when they differ, and prefixes
    # the module to a name two modules use.
    model = getattr(pos_schemas, re.sub(r"-(Input|Output)$", "", name).rsplit("__", 1)[-1])
    assert issubclass(model, BaseModel), name
    return model


@pytest.mark.parametrize("name", sorted(pos_components()))
def test_each_pos_schema_has_a_valid_example_and_describes_each_field(name: str) -> None:
    schema = pos_components()[name]
    examples = schema.get("examples", [])
    assert examples, name
    for example in examples:
        model_named(name).model_validate(example)
    undescribed = [
        n for n, node in schema.get("properties", {}).items() if not node.get("description")
    ]
    assert not undescribed, (name, undescribed)


def test_money_and_points_fields_say_which_they_are() -> None:
    for name, schema in pos_components().items():
        for field, node in schema.get("properties", {}).items():
            if node.get("type") == "integer" and field not in ("quantity",):
                said = node["description"].lower()
                assert "points" in said or "minor units" in said, (name, field)


def test_the_gateway_neither_imports_nor_depends_on_loyalty() -> None:
    sources = (ROOT / "gateway").rglob("*.py")
    importing = [
        p for p in sources if re.search(r"^\s*(from|import) loyalty\b", p.read_text(), re.M)
    ]
    assert not importing
    assert "loyalty" not in (ROOT / "gateway" / "pyproject.toml").read_text()
