"""Opaque keyset cursors for lists served newest first: the (time, id) of the last row seen.

A page cut this way never shifts while rows are added, and a cursor a client forged or
mangled is a 400 `invalid_cursor`, never a 500.
"""

import base64
from datetime import datetime

from kit.errors import DomainError


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
