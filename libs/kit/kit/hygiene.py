"""Input no service can store: the NUL character, refused before any route reads it.

The gateway refuses it for every route it serves; an internal API (the notifier's) does the
same for its own, as a dependency of its routers.

PostgreSQL text cannot hold it, and no name, id or SKU needs it; refused centrally, it is a
clear 422 instead of an error deep in a service.
"""

import json

from fastapi import Request

from kit.errors import DomainError


class InvalidCharacters(DomainError):
    code = "invalid_characters"
    status = 422
    title = "The request contains a NUL character"


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


async def refuse_nul(request: Request) -> None:
    named = [*request.path_params.values(), *request.query_params.values()]
    if any("\x00" in str(value) for value in named):
        raise InvalidCharacters("in the URL")
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    body = await request.body()
    if b"\x00" in body:
        raise InvalidCharacters("in the body")
    if b"\\u0000" in body:
        try:
            parsed = json.loads(body)
        except ValueError:
            return  # the route's validation names the problem
        if _has_nul(parsed):
            raise InvalidCharacters("in the body")
