"""Ids in the URL: every path parameter is one plain segment, or the request is refused.

Route modules put path parameters into the paths they call upstream, so a parameter must not
be able to change that path: no `/` (not even encoded), no `?`, `#` or `&`, no dot segments.
One pattern, documented on every path parameter of the OpenAPI, checked once for every route.
"""

import re

from fastapi import Request

from kit.errors import DomainError

ID_PATTERN = r"^[A-Za-z0-9_:~-][A-Za-z0-9._:~-]{0,511}$"
_ID = re.compile(ID_PATTERN)
# Encoded separators: the router decodes them before matching, so they are refused by their
# raw form, before a decoded `/` can make another route match.
_ENCODED_SEPARATORS = re.compile(rb"%(2f|5c)", re.IGNORECASE)


class InvalidPathParameter(DomainError):
    code = "invalid_path_parameter"
    status = 422
    title = "A path parameter is not a plain id"


def is_id(value: str) -> bool:
    return _ID.fullmatch(value) is not None


async def check_path_parameters(request: Request) -> None:
    """An app-wide dependency: runs before authentication and before any route's own code."""
    for name, value in request.path_params.items():
        if not is_id(str(value)):
            raise InvalidPathParameter(f"{name} must match {ID_PATTERN}")


def has_encoded_separator(raw_path: bytes) -> bool:
    return _ENCODED_SEPARATORS.search(raw_path) is not None
