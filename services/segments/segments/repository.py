from sqlalchemy.ext.asyncio import AsyncSession

from segments.models import CustomerProfile


async def get_profile(session: AsyncSession, customer_id: str) -> CustomerProfile | None:
    return await session.get(CustomerProfile, customer_id)


def add_profile(session: AsyncSession, profile: CustomerProfile) -> None:
    session.add(profile)
