from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import add_unless_duplicate
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


async def add_member(session: AsyncSession, member: Member) -> Member | None:
    """The stored member; None when a concurrent registration took the phone or email first."""
    return await add_unless_duplicate(session, member)


async def member_cities(session: AsyncSession, member_ids: list[str]) -> dict[str, str | None]:
    """Each known member's city (None without one), in the order given; unknown ids left out."""
    found: dict[str, str | None] = {}
    for start in range(0, len(member_ids), 500):
        query = select(Member.id, Member.city).where(Member.id.in_(member_ids[start : start + 500]))
        found.update((row.id, row.city) for row in await session.execute(query))
    return {member_id: found[member_id] for member_id in member_ids if member_id in found}
