"""The shape of every cursor-paged list the APIs serve: `items`, and `next_cursor` to pass as
`cursor` for the next page (null on the last). The bounds of `limit` are the same everywhere."""

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size (1..{MAX_LIMIT})")]
Cursor = Annotated[
    str | None, Query(max_length=400, description="`next_cursor` of the previous page")
]

# What a paged route documents beyond its page (the gateway adds its problem+json schema).
PAGED: dict[int | str, dict[str, Any]] = {
    400: {"description": "`invalid_cursor`: a cursor this list did not hand out"}
}


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last")


def split(rows: list[T], limit: int) -> tuple[list[T], bool]:
    """The page out of `limit` + 1 rows read, and whether there is more after it."""
    return rows[:limit], len(rows) > limit
