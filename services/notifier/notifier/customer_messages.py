"""A customer's messages, newest first, each with the policy decisions about it: for support.

Why a message waited (quiet hours, the daily cap, the pause between messages) or was dropped
is in its decisions; which channel took it, or why none could, in the delivery itself.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from kit import hygiene
from kit.web import SessionDep
from notifier import listings
from notifier.schemas import DeliveryOut


class MessagesPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = None


router = APIRouter(
    prefix="/customers", tags=["deliveries"], dependencies=[Depends(hygiene.refuse_nul)]
)


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
    items, following = await listings.decided_page(session, customer_id, limit, cursor)
    return MessagesPage(items=items, next_cursor=following)
