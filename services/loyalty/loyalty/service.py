"""Member registration: the domain logic, free of HTTP and NATS."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from kit.contracts import MemberRegistered, MemberRegisteredPayload
from loyalty import repository
from loyalty.errors import MemberExists, MemberNotFound
from loyalty.models import Member, outbox
from loyalty.schemas import MemberCreate


async def register_member(session: AsyncSession, data: MemberCreate) -> Member:
    existing = await repository.find_by_contact(session, data.phone, data.email)
    if existing is not None:
        raise MemberExists(member_id=existing.id)
    new = Member(id=str(uuid.uuid4()), created_at=utcnow(), **data.model_dump(mode="python"))
    member = await repository.add_member(session, new)
    if member is None:
        raise MemberExists()
    await outbox.add(session, _registered_event(member, data))
    return member


def _registered_event(member: Member, data: MemberCreate) -> MemberRegistered:
    payload = MemberRegisteredPayload(**data.model_dump(mode="python"))
    return MemberRegistered(customer_id=member.id, occurred_at=member.created_at, payload=payload)


async def get_member(session: AsyncSession, member_id: str) -> Member:
    member = await repository.get_member(session, member_id)
    if member is None:
        raise MemberNotFound()
    return member
