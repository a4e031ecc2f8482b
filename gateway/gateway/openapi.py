"""The public OpenAPI: every `/v1` route documents the gateway's own answers and headers.

Route modules declare only their success answers; the problems every route can give (401,
403, 413, 422, 429, 503), the Idempotency-Key header of writes and the rate-limit headers are
added here once, so the document matches what the gateway really sends.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from kit.openapi import PROBLEM_SCHEMA as SERVICE_PROBLEM_SCHEMA

PROBLEM_SCHEMA: dict[str, Any] = {
    **SERVICE_PROBLEM_SCHEMA,
    "example": {
        "type": "urn:problem:rate_limited",
        "title": "Too many requests for this API key",
        "status": 429,
        "code": "rate_limited",
        "detail": "retry after 1 s",
    },
}

PROBLEMS = {
    "400": "Bad request, e.g. a malformed Idempotency-Key (`invalid_idempotency_key`)",
    "401": "Missing, unknown, expired or revoked API key (`unauthorized`)",
    "403": "Scope or binding refuses it (`missing_scope`, `customer_mismatch`, `store_mismatch`)",
    "404": "Not found, or not this key's customer",
    "409": "Conflict, e.g. `idempotency_key_reused`, `idempotency_key_in_progress`",
    "413": "Body too large (`payload_too_large`)",
    "422": "Invalid input; `errors` names each field (`validation_error`)",
    "429": "Rate limit exceeded (`rate_limited`); see `Retry-After`",
    "503": "An internal service is down or slow (`upstream_unavailable`, `upstream_timeout`)",
}

RATE_LIMIT_HEADERS = {
    "RateLimit": {
        "description": 'Remaining requests and seconds to a full window: `"default";r=42;t=1`',
        "schema": {"type": "string"},
    },
    "RateLimit-Policy": {
        "description": 'The key\'s quota and window: `"default";q=100;w=2`',
        "schema": {"type": "string"},
    },
}

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: the first answer is kept for 24 hours and replayed (with "
        "`Idempotent-Replayed: true`); the same key with another body is a 409."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "example": "till-7-2024-05-17-000123",
}


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
        "headers": {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}
        },
    }


def _decorate(method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status, description in PROBLEMS.items():
        responses[status] = _problem_response(description)
    for status, response in responses.items():
        if status.startswith("2"):
            response.setdefault("headers", {}).update(RATE_LIMIT_HEADERS)
    if method in ("post", "put", "patch"):
        operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)


def public_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        for path, operations in schema.get("paths", {}).items():
            if path.startswith("/v1/"):
                for method, operation in operations.items():
                    _decorate(method, operation)
        app.openapi_schema = schema
    return app.openapi_schema
