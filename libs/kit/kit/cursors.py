"""Opaque cursors for lists paged by a key (keyset pagination): the last row's key, encoded.

A page cut this way never shifts while rows are added, and a cursor a client forged or
mangled is a 400 `invalid_cursor`, never a 500.
"""

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_

from kit.errors import DomainError

_SEPARATOR = "\x1f"  # a unit separator: never part of an id, a name or a timestamp
Q = TypeVar("Q", bound=Select[Any])


class InvalidCursor(DomainError):
    code = "invalid_cursor"
    status = 400
    title = "The cursor is not one this list handed out"


def encode_cursor(*parts: str) -> str:
    raw = _SEPARATOR.join(parts).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, count: int) -> list[str]:
    """The `count` parts `encode_cursor` was given; anything else is `InvalidCursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidCursor() from exc
    parts = raw.split(_SEPARATOR)
    # A NUL fits in no text column of PostgreSQL: compared with one, it would fail the query.
    if len(parts) != count or "\x00" in raw:
        raise InvalidCursor()
    return parts


def encode_key_cursor(list_name: str, *key: str | int) -> str:
    """For lists in ascending key order: the last row's key, tagged with the list it is for,
    so a cursor of one list handed to another is `InvalidCursor`, not a silent restart."""
    return encode_cursor(list_name, *(str(part) for part in key))


def decode_key_cursor(cursor: str, list_name: str, count: int = 1) -> list[str]:
    """The `count` parts of the key `encode_key_cursor` was given for `list_name`."""
    named, *key = decode_cursor(cursor, count + 1)
    if named != list_name:
        raise InvalidCursor()
    return key


def decode_int_cursor(cursor: str, list_name: str, below: int = 2**31) -> int:
    """An integer key (a version number), refused outside 0..`below` - 1: the column's range."""
    (key,) = decode_key_cursor(cursor, list_name)
    try:
        number = int(key)
    except ValueError as exc:
        raise InvalidCursor() from exc
    if not 0 <= number < below:
        raise InvalidCursor()
    return number


def parse_moment(at: str) -> datetime:
    """A tz-aware time out of a cursor; anything else is `InvalidCursor`."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError as exc:
        raise InvalidCursor() from exc
    if moment.tzinfo is None:
        raise InvalidCursor()
    return moment


def encode_time_cursor(at: datetime, row_id: str) -> str:
    """For lists newest first: the last row's time and id."""
    return encode_cursor(at.isoformat(), row_id)


def decode_time_cursor(cursor: str) -> tuple[datetime, str]:
    at, row_id = decode_cursor(cursor, 2)
    return parse_moment(at), row_id


def older_than(at: Any, row_id: Any, before: tuple[datetime, str]) -> ColumnElement[bool]:
    """Rows after `before` in a newest-first list ordered by (`at` desc, `row_id` desc)."""
    moment, last_id = before
    return or_(at < moment, and_(at == moment, row_id < last_id))


def newest_first(
    query: Q, at: Any, row_id: Any, after: tuple[datetime, str] | None, limit: int
) -> Q:
    """`query` ordered by (`at`, `row_id`) descending, `limit` rows older than `after`."""
    if after is not None:
        query = query.where(older_than(at, row_id, after))
    return query.order_by(at.desc(), row_id.desc()).limit(limit)


def later_than(columns: Sequence[Any], key: Sequence[Any]) -> ColumnElement[bool]:
    """Rows after `key` in a list ordered by `columns` ascending (the last one unique)."""
    clause: ColumnElement[bool] = columns[-1] > key[-1]
    for column, value in zip(reversed(columns[:-1]), reversed(key[:-1]), strict=True):
        clause = or_(column > value, and_(column == value, clause))
    return clause


def ascending(query: Q, columns: Sequence[Any], after: Sequence[Any] | None, limit: int) -> Q:
    """`query` ordered by `columns` ascending, `limit` rows after the key `after`."""
    if after is not None:
        query = query.where(later_than(columns, after))
    return query.order_by(*columns).limit(limit)
