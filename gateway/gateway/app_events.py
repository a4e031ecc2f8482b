"""App events become contract events in the gateway's outbox, in the request's transaction."""

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.keys import Caller
from gateway.models import outbox
from gateway.schemas import AppEventIn, CartClearedIn, CartUpdatedIn, EventAccepted
from kit.contracts.common import CartItem
from kit.contracts.gateway import (
    CartCleared,
    CartClearedPayload,
    CartUpdated,
    CartUpdatedPayload,
    ProductViewed,
    ProductViewedPayload,
)
from kit.errors import DomainError
from kit.events import Event


class CustomerRequired(DomainError):
    code = "customer_id_required"
    status = 422
    title = "Name the customer: only app keys act for a customer of their own"


def _to_event(data: AppEventIn, customer_id: str) -> Event:
    if isinstance(data, CartUpdatedIn):
        items = [CartItem(**item.model_dump()) for item in data.items]
        payload = CartUpdatedPayload(cart_id=data.cart_id, items=items, total=data.items_total())
        return CartUpdated(customer_id=customer_id, payload=payload)
    if isinstance(data, CartClearedIn):
        return CartCleared(
            customer_id=customer_id, payload=CartClearedPayload(cart_id=data.cart_id)
        )
    return ProductViewed(
        customer_id=customer_id,
        payload=ProductViewedPayload(sku=data.sku, category=data.category),
    )


async def record(session: AsyncSession, key: Caller, data: AppEventIn) -> EventAccepted:
    # A bound key's customer has already been checked against the body (gateway.ownership).
    customer_id = key.customer_id or data.customer_id
    if customer_id is None:
        raise CustomerRequired()
    event = _to_event(data, customer_id)
    await outbox.add(session, event)
    return EventAccepted(event_id=event.id, type=event.type, customer_id=customer_id)
