"""The marketer's lists of chains, a chain's versions and campaigns, a page at a time.

Each is read in a stable order under an opaque cursor (the last row's key), so a page boundary
never skips or repeats a row, even while rows are added.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from kit.cursors import (
    decode_int_cursor,
    decode_key_cursor,
    decode_time_cursor,
    encode_key_cursor,
    encode_time_cursor,
)
from kit.paging import split
from orchestrator import repository
from orchestrator.models import Campaign, Chain, ChainVersion

Rows = tuple[list[Chain], str | None]


async def chains(session: AsyncSession, limit: int, cursor: str | None) -> Rows:
    """A page of chains by id, and the cursor of the next (None on the last)."""
    after = decode_key_cursor(cursor, "chains")[0] if cursor else None
    rows, more = split(list(await repository.chains_page(session, after, limit + 1)), limit)
    return rows, encode_key_cursor("chains", rows[-1].id) if more else None


async def versions(
    session: AsyncSession, chain_id: str, limit: int, cursor: str | None
) -> tuple[list[ChainVersion], str | None]:
    """A page of a chain's versions, oldest first."""
    after = decode_int_cursor(cursor, "versions") if cursor else None
    found = await repository.versions_page(session, chain_id, after, limit + 1)
    rows, more = split(list(found), limit)
    return rows, encode_key_cursor("versions", rows[-1].version) if more else None


async def campaigns(
    session: AsyncSession, limit: int, cursor: str | None
) -> tuple[list[Campaign], str | None]:
    """A page of campaigns, newest first."""
    after = decode_time_cursor(cursor) if cursor else None
    rows, more = split(list(await repository.campaigns_page(session, after, limit + 1)), limit)
    last = rows[-1] if more else None
    return rows, encode_time_cursor(last.created_at, last.id) if last else None
