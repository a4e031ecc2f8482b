from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.models import Contact, Delivery


async def get_contact(session: AsyncSession, customer_id: str) -> Contact | None:
    return await session.get(Contact, customer_id)


async def get_delivery(session: AsyncSession, delivery_id: str) -> Delivery | None:
    return await session.get(Delivery, delivery_id)


async def delivery_by_key(session: AsyncSession, key: str) -> Delivery | None:
    query = select(Delivery).where(Delivery.idempotency_key == key)
    return (await session.execute(query)).scalars().first()
