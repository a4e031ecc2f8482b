"""Every query of the orchestrator's tables."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.models import (
    Campaign,
    Chain,
    ChainVersion,
    CustomerFact,
    Enrollment,
)


async def chain(session: AsyncSession, chain_id: str) -> Chain | None:
    return await session.get(Chain, chain_id)


async def chains(session: AsyncSession) -> Sequence[Chain]:
    return (await session.scalars(select(Chain).order_by(Chain.id))).all()


async def version(session: AsyncSession, chain_id: str, number: int) -> ChainVersion | None:
    return await session.get(ChainVersion, (chain_id, number))


async def versions(session: AsyncSession, chain_id: str) -> Sequence[ChainVersion]:
    query = select(ChainVersion).where(ChainVersion.chain_id == chain_id)
    return (await session.scalars(query.order_by(ChainVersion.version))).all()


async def active_versions_for(session: AsyncSession, trigger_key: str) -> Sequence[ChainVersion]:
    """The published versions of the active chains that start on this kind of event."""
    query = (
        select(ChainVersion)
        .join(
            Chain,
            (Chain.id == ChainVersion.chain_id) & (Chain.active_version == ChainVersion.version),
        )
        .where(Chain.status == "active", Chain.trigger_key == trigger_key)
    )
    return (await session.scalars(query)).all()


async def last_enrollment(
    session: AsyncSession, chain_id: str, customer_id: str
) -> Enrollment | None:
    query = (
        select(Enrollment)
        .where(Enrollment.chain_id == chain_id, Enrollment.customer_id == customer_id)
        .order_by(Enrollment.enrolled_at.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()


async def enrollment_by_run(
    session: AsyncSession, workflow_id: str, enrollment_key: str
) -> Enrollment | None:
    query = select(Enrollment).where(
        Enrollment.workflow_id == workflow_id, Enrollment.trigger_event_id == enrollment_key
    )
    return (await session.scalars(query)).first()


async def active_enrollments(session: AsyncSession, customer_id: str) -> Sequence[Enrollment]:
    query = select(Enrollment).where(
        Enrollment.customer_id == customer_id, Enrollment.status == "active"
    )
    return (await session.scalars(query)).all()


async def enrollments_since(
    session: AsyncSession, customer_id: str, earliest: datetime
) -> Sequence[Enrollment]:
    query = select(Enrollment).where(
        Enrollment.customer_id == customer_id, Enrollment.enrolled_at >= earliest
    )
    return (await session.scalars(query)).all()


async def facts(session: AsyncSession, customer_id: str) -> CustomerFact:
    found = await session.get(CustomerFact, customer_id)
    if found is None:
        found = CustomerFact(customer_id=customer_id, purchase_count=0)
        session.add(found)
    return found


async def campaign(session: AsyncSession, campaign_id: str) -> Campaign | None:
    return await session.get(Campaign, campaign_id)


async def campaigns(session: AsyncSession) -> Sequence[Campaign]:
    return (await session.scalars(select(Campaign).order_by(Campaign.created_at))).all()


async def add_campaign_progress(
    session: AsyncSession, campaign_id: str, processed: int, granted: int, sent: int, failed: int
) -> None:
    await session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(
            processed=Campaign.processed + processed,
            granted=Campaign.granted + granted,
            sent=Campaign.sent + sent,
            failed=Campaign.failed + failed,
        )
    )
