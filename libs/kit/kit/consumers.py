"""Makes event handlers idempotent: each event is applied at most once per consumer."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from kit.bus import Handler
from kit.clock import utcnow
from kit.db import SessionFactory, insert_ignoring_conflict, unit_of_work
from kit.events import Event

E = TypeVar("E", bound=Event)


def idempotent(
    sessions: SessionFactory,
    processed: Table,
    consumer: str,
    handle: Callable[[AsyncSession, E], Awaitable[None]],
) -> Handler:
    """Records the event id in the same transaction as the handler's writes."""

    async def wrapped(event: Event) -> None:
        async with unit_of_work(sessions) as session:
            values = {"consumer": consumer, "event_id": str(event.id), "processed_at": utcnow()}
            if await insert_ignoring_conflict(session, processed, values):
                await handle(session, event)  # type: ignore[arg-type]

    return wrapped
