"""How the marketer routes document their problem+json answers."""

from typing import Any
from urllib.parse import urlencode

from kit.errors import PROBLEM_JSON
from kit.paging import MAX_LIMIT


def problems(codes: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """`{status: "the codes"}` as OpenAPI responses with the problem+json media type."""
    return {
        status: {"description": description, "content": {PROBLEM_JSON: {}}}
        for status, description in codes.items()
    }


LIMIT_422 = f"`limit` outside 1..{MAX_LIMIT}"
# What every cursor-paged list answers besides its page.
PAGED = problems({400: "`invalid_cursor`: a cursor this list did not hand out", 422: LIMIT_422})


def page_query(limit: int, cursor: str | None, **more: str | None) -> str:
    """The query string a paged list forwards: the page and any filters that are set."""
    query = {"limit": limit, "cursor": cursor, **more}
    return urlencode({key: value for key, value in query.items() if value is not None})
