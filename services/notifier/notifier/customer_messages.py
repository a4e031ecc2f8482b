"""A customer's messages, newest first, each with the policy decisions about it: for support.

Why a message waited (quiet hours, the daily cap, the pause between messages) or was dropped
is in its decisions; which channel took it, or why none could, in the delivery itself.
"""

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from kit.cursors import decode_time_cursor, encode_time_cursor
from kit.web import SessionDep
from notifier import repository
from notifier.schemas import DecisionOut, DeliveryOut


class MessageOut(DeliveryOut):
    decisions: list[DecisionOut] = []


class MessagesPage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None = None


router = APIRouter(prefix="/customers", tags=["deliveries"])


@router.get(
    "/{customer_id}/deliveries",
    response_model=MessagesPage,
    summary="A customer's messages, newest first, with every policy decision "
    "(400 `invalid_cursor`)",
    responses={400: {"description": "A cursor this API did not give (`invalid_cursor`)"}},
)
async def messages_of(
    customer_id: str,
    session: SessionDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> MessagesPage:
    return await page(session, customer_id, cursor, limit)


async def page(
    session: AsyncSession, customer_id: str, cursor: str | None, limit: int
) -> MessagesPage:
    after = decode_time_cursor(cursor) if cursor else None
    rows = await repository.deliveries_of(session, customer_id, after, limit + 1)
    shown = rows[:limit]
    found = await repository.decisions_of_many(session, [row.id for row in shown])
    decisions: dict[str, list[DecisionOut]] = defaultdict(list)
    for decision in found:
        decisions[decision.delivery_id].append(DecisionOut.model_validate(decision))
    items = [
        MessageOut.model_validate(row).model_copy(update={"decisions": decisions[row.id]})
        for row in shown
    ]
    last = shown[-1] if len(rows) > limit else None
    return MessagesPage(
        items=items, next_cursor=encode_time_cursor(last.created_at, last.id) if last else None
    )
