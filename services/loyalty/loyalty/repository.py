from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from loyalty.models import Member


async def get_member(session: AsyncSession, member_id: str) -> Member | None:
    return await session.get(Member, member_id)


async def find_by_contact(
    session: AsyncSession, phone: str | None, email: str | None
) -> Member | None:
    conditions = []
    if phone:
        conditions.append(Member.phone == phone)
    if email:
        conditions.append(Member.email == email)
    if not conditions:
        return None
    return (await session.execute(select(Member).where(or_(*conditions)))).scalars().first()


async def add_member(session: AsyncSession, member: Member) -> bool:
    """False when a concurrent registration took the phone or email first."""
    try:
        async with session.begin_nested():
            session.add(member)
    except IntegrityError:
        return False
    return True
