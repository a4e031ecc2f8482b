"""Member registration: the domain logic, free of HTTP and NATS."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from kit.contracts import MemberRegistered, MemberRegisteredPayload
from loyalty import repository
from loyalty.errors import MemberExists, MemberNotFound
from loyalty.idempotency import fingerprint, remember, replay
from loyalty.models import Member, outbox
from loyalty.schemas import MemberCreate, MemberOut


async def register_member(
    session: AsyncSession, data: MemberCreate, key: str | None = None
) -> MemberOut:
    """Registers a member; a retry under the same ``Idempotency-Key`` gets the first answer.

    The answer is kept in the member's own transaction, so a retry replays it from loyalty's
    records whatever happened to the gateway's cache.
    """
    print_ = fingerprint("register", data)
    if (stored := await replay(session, key, print_)) is not None:
        return MemberOut(**stored)
    existing = await repository.find_by_contact(session, data.phone, data.email)
    now = utcnow()
    fields = data.model_dump(mode="python")
    new = Member(id=str(uuid.uuid4()), created_at=now, spend_counted_at=now, **fields)
    member = None if existing is not None else await repository.add_member(session, new)
    if member is None:
        # A concurrent retry of this very request may have committed first: its answer is ours.
        if (stored := await replay(session, key, print_)) is not None:
            return MemberOut(**stored)
        raise MemberExists(member_id=existing.id) if existing else MemberExists()
    await outbox.add(session, _registered_event(member, data))
    answer = MemberOut.model_validate(member)
    await remember(session, key, print_, answer, 201)
    return answer


def _registered_event(member: Member, data: MemberCreate) -> MemberRegistered:
    payload = MemberRegisteredPayload(**data.model_dump(mode="python"))
    return MemberRegistered(customer_id=member.id, occurred_at=member.created_at, payload=payload)


async def get_member(session: AsyncSession, member_id: str) -> Member:
    member = await repository.get_member(session, member_id)
    if member is None:
        raise MemberNotFound()
    return member
