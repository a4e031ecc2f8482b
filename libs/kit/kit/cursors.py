"""Opaque keyset cursors for lists served newest first: the (time, id) of the last row seen.

A page cut this way never shifts while rows are added, and a cursor a client forged or
mangled is a 400 `invalid_cursor`, never a 500.
"""

import base64
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select

from kit.errors import DomainError

Q = TypeVar("Q", bound=Select[Any])


class InvalidCursor(DomainError):
    code = "invalid_cursor"
    status = 400
    title = "The cursor is not one this API gave"


def encode_cursor(at: datetime, row_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{row_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        at, _, row_id = raw.partition("|")
        parsed = datetime.fromisoformat(at)
    except ValueError as exc:  # bad base64, bad UTF-8 and a bad date all land here
        raise InvalidCursor() from exc
    if parsed.tzinfo is None or not row_id:
        raise InvalidCursor()
    return parsed, row_id


def newest_first(
    query: Q, at: Any, row_id: Any, after: tuple[datetime, str] | None, limit: int
) -> Q:
    """`query` ordered by (`at`, `row_id`) descending, `limit` rows older than `after`."""
    if after is not None:
        last_at, last_id = after
        query = query.where((at < last_at) | ((at == last_at) & (row_id < last_id)))
    return query.order_by(at.desc(), row_id.desc()).limit(limit)
