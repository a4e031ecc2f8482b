from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.cursors import older_than
from kit.db import insert_ignoring_conflict
from notifier.models import (
    Attempt,
    ConsentChange,
    Contact,
    Delivery,
    Policy,
    PolicyDecision,
    Template,
)


async def get_contact(session: AsyncSession, customer_id: str) -> Contact | None:
    return await session.get(Contact, customer_id)


async def contact_to_write(
    session: AsyncSession, customer_id: str, values: dict[str, Any]
) -> Contact:
    """The customer's contact row, inserted with ``values`` first when missing, and locked.

    Two writers of one new contact (the API and the registration consumer, or two retried
    requests) take turns on the row instead of one failing on the other's insert."""
    row = {"customer_id": customer_id, "consents": {}, "push_tokens": {}, **values}
    await insert_ignoring_conflict(session, Contact.__table__, row)
    contact = await session.get(Contact, customer_id, with_for_update=True, populate_existing=True)
    assert contact is not None  # inserted above, or there before; contacts are never deleted
    return contact


async def consent_history(session: AsyncSession, customer_id: str) -> list[ConsentChange]:
    query = select(ConsentChange).where(ConsentChange.customer_id == customer_id)
    return list((await session.execute(query.order_by(ConsentChange.id))).scalars())


async def get_delivery(session: AsyncSession, delivery_id: str) -> Delivery | None:
    return await session.get(Delivery, delivery_id)


async def delivery_by_key(session: AsyncSession, key: str) -> Delivery | None:
    query = select(Delivery).where(Delivery.idempotency_key == key)
    return (await session.execute(query)).scalars().first()


async def attempts_of(session: AsyncSession, delivery_id: str) -> list[Attempt]:
    query = select(Attempt).where(Attempt.delivery_id == delivery_id).order_by(Attempt.position)
    return list((await session.execute(query)).scalars())


async def get_attempt(session: AsyncSession, attempt_id: str) -> Attempt | None:
    return await session.get(Attempt, attempt_id)


async def insert_attempt_claim(session: AsyncSession, values: dict[str, Any]) -> bool:
    """The attempt's row as its claim; False when a row for it exists already."""
    return await insert_ignoring_conflict(session, Attempt.__table__, values)


async def take_over_claim(
    session: AsyncSession, attempt_id: str, claimed_at: datetime, now: datetime, lease: timedelta
) -> bool:
    """Takes a claim older than ``lease`` (its holder died); False while it is fresh or when
    another execution took it first (compare-and-set on the claim's time)."""
    if claimed_at > now - lease:
        return False
    result = await session.execute(
        update(Attempt)
        .where(
            Attempt.id == attempt_id,
            Attempt.status == "queued",
            Attempt.created_at == claimed_at,
        )
        .values(created_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def delete_attempt_claim(session: AsyncSession, attempt_id: str) -> None:
    await session.execute(
        delete(Attempt).where(Attempt.id == attempt_id, Attempt.status == "queued")
    )


async def attempt_by_provider_id(session: AsyncSession, provider_id: str) -> Attempt | None:
    query = select(Attempt).where(Attempt.provider_message_id == provider_id)
    return (await session.execute(query)).scalars().first()


async def decisions_of(session: AsyncSession, delivery_id: str) -> list[PolicyDecision]:
    query = select(PolicyDecision).where(PolicyDecision.delivery_id == delivery_id)
    return list((await session.execute(query.order_by(PolicyDecision.id))).scalars())


async def get_template(session: AsyncSession, name: str, channel: str) -> Template | None:
    return await session.get(Template, (name, channel))


async def get_policy(session: AsyncSession, scope: str) -> Policy | None:
    return await session.get(Policy, scope)


async def delivery_outcomes(
    session: AsyncSession, source: str
) -> list[tuple[str, str | None, int]]:
    """(status, reason, how many) over the deliveries of one source."""
    query = (
        select(Delivery.status, Delivery.reason, func.count())
        .where(Delivery.source == source)
        .group_by(Delivery.status, Delivery.reason)
    )
    return [(status, reason, n) for status, reason, n in (await session.execute(query)).all()]


async def templates_after(
    session: AsyncSession, after: tuple[str, str] | None, limit: int
) -> list[Template]:
    """Saved templates in (name, channel) order, after the cursor's pair."""
    query = select(Template).order_by(Template.name, Template.channel).limit(limit)
    if after is not None:
        query = query.where(tuple_(Template.name, Template.channel) > after)
    return list((await session.scalars(query)).all())


async def deliveries_of(
    session: AsyncSession, customer_id: str, before: tuple[datetime, str] | None, limit: int
) -> list[Delivery]:
    """A customer's deliveries newest first, before the cursor's (created_at, id)."""
    query = select(Delivery).where(Delivery.customer_id == customer_id)
    if before is not None:
        query = query.where(older_than(Delivery.created_at, Delivery.id, before))
    query = query.order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit)
    return list((await session.scalars(query)).all())


async def decisions_of_many(session: AsyncSession, delivery_ids: list[str]) -> list[PolicyDecision]:
    query = select(PolicyDecision).where(PolicyDecision.delivery_id.in_(delivery_ids))
    return list((await session.scalars(query.order_by(PolicyDecision.id))).all())


async def counted_sends(
    session: AsyncSession, customer_id: str, since: datetime, until: datetime
) -> list[datetime]:
    """When the customer's sends counted against the cap were decided, oldest first."""
    query = (
        select(PolicyDecision.decided_at)
        .where(
            PolicyDecision.customer_id == customer_id,
            PolicyDecision.action == "send",
            PolicyDecision.reason == "allowed",
            PolicyDecision.decided_at >= since,
            PolicyDecision.decided_at <= until,
        )
        .order_by(PolicyDecision.decided_at)
    )
    return list((await session.scalars(query)).all())
