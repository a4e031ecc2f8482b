"""Domain errors with a stable code and HTTP status, rendered once as problem+json."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


class DomainError(Exception):
    """Base of every expected business outcome; subclasses set ``code`` and ``status``."""

    code: str = "domain_error"
    status: int = 400
    title: str = "The request cannot be processed"
    # A retryable outcome (the same request may succeed later) is marked in the problem as
    # `retryable: true`, so callers and idempotency stores never keep it as the final answer.
    retryable: bool = False

    def __init__(
        self, detail: str | None = None, *, retry_after: int | None = None, **extra: Any
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.retry_after = retry_after
        self.extra = extra


class NotFound(DomainError):
    code = "not_found"
    status = 404
    title = "Not found"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    title = "Conflict"


class IdempotencyKeyReused(Conflict):
    """The same idempotency key came with another request: every service answers it alike."""

    code = "idempotency_key_reused"
    title = "This idempotency key was used with a different request"


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401
    title = "Missing or invalid credentials"


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    title = "Not allowed"


class ServiceUnavailable(DomainError):
    code = "service_unavailable"
    status = 503
    title = "A dependency is unavailable"


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"urn:problem:{code}", "title": title, "status": status, "code": code}
    body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    if exc.status >= 500:
        log.warning("%s %s: %s", exc.status, exc.code, _cause(exc))
    marks = {"retryable": True} if exc.retryable or exc.retry_after is not None else {}
    response = problem(exc.status, exc.code, exc.title, exc.detail, **marks, **exc.extra)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _cause(exc: BaseException) -> str:
    """The detail and the chain of causes, for the log line of an answer that is not ours."""
    found = [str(exc)]
    while exc.__cause__ is not None:
        exc = exc.__cause__
        found.append(f"{type(exc).__name__}: {exc}")
    return " <- ".join(found)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if any(err["type"] == "json_invalid" for err in exc.errors()):
        detail = "The body is not valid JSON."
        return problem(400, "malformed_json", "Malformed JSON", detail)
    errors = [
        {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"], "type": err["type"]}
        for err in exc.errors()
    ]
    return problem(
        422, "validation_error", "Invalid request", "The request is invalid.", errors=errors
    )


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
        exc.status_code, f"http_{exc.status_code}"
    )
    return problem(exc.status_code, code, str(exc.detail), str(exc.detail))


async def _database_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if not exc.connection_invalidated and not isinstance(exc, OperationalError | InterfaceError):
        return await _unexpected_error(_request, exc)
    log.warning("database unavailable: %s", type(exc.orig).__name__)
    detail = "The database connection was lost; nothing was written. Retry shortly."
    response = problem(503, "database_unavailable", "Database unavailable", detail)
    response.headers["Retry-After"] = "1"
    return response


async def _unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "internal_error", "Internal error", "An unexpected error occurred.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unexpected_error)
