"""The public OpenAPI: every `/v1` route documents the gateway's own answers and headers.

Route modules declare their success answers and the services' problem codes a route can give
(`responses={409: {"description": "quote_changed, txid_reused"}}`); the gateway's own problems
on every route (400, 401, 403, 404, 409, 413, 422, 429, 503), the Idempotency-Key header of
writes and the rate-limit headers are added here once. Each problem answer lists its codes,
readable by machines as `x-problem-codes`, with services' codes as the public API names them.
"""

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from gateway.paths import ID_PATTERN
from gateway.problems import PUBLIC_CODES
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
    "400": "Bad request",
    "401": "Missing, unknown, expired or revoked API key",
    "403": "The key's scope or binding refuses it",
    "404": "Not found, or not this key's customer",
    "409": "Conflict",
    "413": "Body too large",
    "422": "Invalid input; `errors` names each field",
    "429": "Too many requests; see `Retry-After`",
    "503": "An internal service or store is down or slow; retry",
}

# The codes the gateway itself can answer on every keyed route, by status.
GATEWAY_CODES: dict[str, tuple[str, ...]] = {
    "400": ("malformed_json", "invalid_idempotency_key"),
    "401": ("unauthorized",),
    "403": ("missing_scope", "customer_mismatch", "store_mismatch"),
    "404": ("not_found",),
    "409": ("idempotency_key_reused", "idempotency_key_in_progress"),
    "413": ("payload_too_large",),
    "422": ("validation_error", "invalid_path_parameter", "invalid_characters"),
    "429": ("rate_limited", "too_many_failed_authentications"),
    "503": (
        "upstream_unavailable",
        "upstream_timeout",
        "rate_limiter_unavailable",
        "idempotency_store_unavailable",
    ),
}
CODE_LIST = re.compile(r"^[a-z_]+(, [a-z_]+)*$")
BACKTICKED = re.compile(r"`([a-z]+(?:_[a-z]+)+)`")


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


def _problem_response(description: str, codes: list[str]) -> dict[str, Any]:
    listed = ", ".join(f"`{code}`" for code in codes)
    return {
        "description": f"{description}: {listed}",
        "x-problem-codes": codes,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
        "headers": {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}
        },
    }


def route_codes(response: dict[str, Any] | None) -> list[str]:
    """The codes a route module declared for a status, as a bare list (`"code_a, code_b"`) or
    in backticks within prose (`` "`code_a`; `limit` not 1..200" ``; a code has an
    underscore), named as the public API names them."""
    description = (response or {}).get("description", "")
    found = description.split(", ") if CODE_LIST.fullmatch(description) else []
    found += [code for code in BACKTICKED.findall(description) if code not in found]
    return [PUBLIC_CODES.get(code, code) for code in found]


def _decorate(method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status, description in PROBLEMS.items():
        own = route_codes(responses.get(status))
        codes = own + [code for code in GATEWAY_CODES[status] if code not in own]
        # A route's own words about a status (unless a bare list of codes) come before ours.
        said = responses.get(status, {}).get("description", "")
        prose = None if CODE_LIST.fullmatch(said) else said
        responses[status] = _problem_response(
            f"{prose}. {description}" if prose else description, codes
        )
    for status, response in responses.items():
        if status.startswith("2"):
            response.setdefault("headers", {}).update(RATE_LIMIT_HEADERS)
    if method in ("post", "put", "patch"):
        operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path" and parameter["schema"].get("type") == "string":
            parameter["schema"]["pattern"] = ID_PATTERN  # checked for every route, paths.py


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
