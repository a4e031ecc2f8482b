"""An internal API's OpenAPI documents the problem+json answers it really gives.

FastAPI documents only what a route declares (its success and 422). Every service renders its
domain errors once (`kit.errors`), so the problems each route can answer are added here once,
with the shape of the body, so a client or a fuzzer reading the document is never surprised.
"""

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from kit.errors import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string", "example": "urn:problem:chain_not_found"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "Stable, machine-readable"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}


def _document(operation: dict[str, Any], problems: Mapping[str, str]) -> None:
    responses = operation.setdefault("responses", {})
    for status, description in problems.items():
        responses[status] = problem_response(description)


def with_problems(app: FastAPI, problems: Mapping[str, str]) -> dict[str, Any]:
    """The app's OpenAPI, every operation answering `problems` (status → description)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    for path, operations in schema.get("paths", {}).items():
        if path in ("/healthz", "/readyz"):
            continue
        for operation in operations.values():
            _document(operation, problems)
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    app.openapi_schema = schema
    return schema
