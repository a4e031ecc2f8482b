"""Makes event handlers idempotent: each event is applied at most once per consumer."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from kit.bus import BatchHandler, Handler
from kit.clock import utcnow
from kit.db import SessionFactory, insert_ignoring_conflict, insert_new_keys, unit_of_work
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


def idempotent_batch(
    sessions: SessionFactory,
    processed: Table,
    consumer: str,
    handle: Callable[[AsyncSession, Sequence[E]], Awaitable[None]],
) -> BatchHandler:
    """The batch form of ``idempotent``: one transaction for the whole batch, the event ids
    recorded by one statement that answers which were new, and only those events handed on,
    in stream order (an event delivered twice in one batch counts once)."""

    async def wrapped(events: Sequence[Event]) -> None:
        unique: dict[str, Event] = {}
        for event in events:
            unique.setdefault(str(event.id), event)
        async with unit_of_work(sessions) as session:
            now = utcnow()
            rows: list[dict[str, Any]] = [
                {"consumer": consumer, "event_id": event_id, "processed_at": now}
                for event_id in unique
            ]
            new = await insert_new_keys(session, processed, rows, "event_id")
            fresh = [event for event_id, event in unique.items() if event_id in new]
            if fresh:
                await handle(session, fresh)  # type: ignore[arg-type]

    return wrapped
