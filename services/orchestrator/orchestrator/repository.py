"""Every query of the orchestrator's tables."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.cursors import ascending, newest_first, older_than
from kit.db import insert_ignoring_conflict, insert_rows_ignoring_conflict
from orchestrator.models import (
    Campaign,
    CampaignMemberGrant,
    Chain,
    ChainGrant,
    ChainMessage,
    ChainVersion,
    Conversion,
    CustomerFact,
    Enrollment,
    StepArrival,
)


async def chain(session: AsyncSession, chain_id: str) -> Chain | None:
    return await session.get(Chain, chain_id)


async def chains_page(session: AsyncSession, after: str | None, limit: int) -> Sequence[Chain]:
    """By id; `after` is the id of the last chain of the previous page."""
    query = ascending(select(Chain), [Chain.id], None if after is None else [after], limit)
    return (await session.scalars(query)).all()


async def version(session: AsyncSession, chain_id: str, number: int) -> ChainVersion | None:
    return await session.get(ChainVersion, (chain_id, number))


async def versions(session: AsyncSession, chain_id: str) -> Sequence[ChainVersion]:
    query = select(ChainVersion).where(ChainVersion.chain_id == chain_id)
    return (await session.scalars(query.order_by(ChainVersion.version))).all()


async def versions_page(
    session: AsyncSession, chain_id: str, after: int | None, limit: int
) -> Sequence[ChainVersion]:
    """Oldest first; `after` is the last version number of the previous page."""
    query = select(ChainVersion).where(ChainVersion.chain_id == chain_id)
    key = None if after is None else [after]
    return (await session.scalars(ascending(query, [ChainVersion.version], key, limit))).all()


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


async def enrollment_page(
    session: AsyncSession,
    chain_id: str,
    limit: int,
    after: tuple[datetime, str] | None = None,
    status: str | None = None,
    step: str | None = None,
) -> list[Enrollment]:
    """Newest first; `after` is the (enrolled_at, id) of the last row of the previous page."""
    query = select(Enrollment).where(Enrollment.chain_id == chain_id)
    if status is not None:
        query = query.where(Enrollment.status == status)
    if step is not None:
        query = query.where(Enrollment.step == step)
    if after is not None:
        query = query.where(older_than(Enrollment.enrolled_at, Enrollment.id, after))
    query = query.order_by(Enrollment.enrolled_at.desc(), Enrollment.id.desc()).limit(limit)
    return list((await session.scalars(query)).all())


async def enrollment_counts(
    session: AsyncSession, chain_id: str
) -> list[tuple[str, int, str | None, str | None, int]]:
    """(status, version, exit reason, latest step, how many) over the chain's enrollments."""
    columns = (Enrollment.status, Enrollment.version, Enrollment.exit_reason, Enrollment.step)
    query = select(*columns, func.count()).where(Enrollment.chain_id == chain_id).group_by(*columns)
    return [(s, v, r, p, n) for s, v, r, p, n in (await session.execute(query)).all()]


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
    return (await active_enrollments_of(session, [customer_id])).get(customer_id, [])


async def active_enrollments_of(
    session: AsyncSession, customer_ids: Sequence[str]
) -> dict[str, list[Enrollment]]:
    """``active_enrollments`` of several customers in one query, by customer."""
    query = select(Enrollment).where(
        Enrollment.customer_id.in_(customer_ids), Enrollment.status == "active"
    )
    found: dict[str, list[Enrollment]] = {}
    for enrollment in (await session.scalars(query)).all():
        found.setdefault(enrollment.customer_id, []).append(enrollment)
    return found


async def purchase_candidates(
    session: AsyncSession, customer_id: str, earliest: datetime
) -> Sequence[tuple[Enrollment, bool]]:
    """What a purchase concerns, in one query: the customer's running enrollments (to signal)
    and the recent ones, each with whether it has converted already."""
    return (await purchase_candidates_of(session, [customer_id], earliest)).get(customer_id, [])


async def purchase_candidates_of(
    session: AsyncSession, customer_ids: Sequence[str], earliest: datetime
) -> dict[str, list[tuple[Enrollment, bool]]]:
    """``purchase_candidates`` of several customers in one query, by customer."""
    query = (
        select(Enrollment, Conversion.enrollment_id.is_not(None))
        .outerjoin(Conversion, Conversion.enrollment_id == Enrollment.id)
        .where(
            Enrollment.customer_id.in_(customer_ids),
            (Enrollment.status == "active") | (Enrollment.enrolled_at >= earliest),
        )
    )
    found: dict[str, list[tuple[Enrollment, bool]]] = {}
    for enrollment, converted in (await session.execute(query)).all():
        found.setdefault(enrollment.customer_id, []).append((enrollment, bool(converted)))
    return found


async def is_running(session: AsyncSession, workflow_id: str) -> bool:
    query = select(Enrollment.id).where(
        Enrollment.workflow_id == workflow_id, Enrollment.status == "active"
    )
    return (await session.scalars(query.limit(1))).first() is not None


async def locked_facts(session: AsyncSession, customer_id: str) -> CustomerFact:
    """The customer's facts, created if need be and locked until commit: a purchase and a
    trigger of one customer, handled at once by two consumers (or replicas), take turns here,
    so the later one always sees what the earlier one wrote (SQLite: the consumer's first
    insert holds the database's write lock already)."""
    return (await locked_facts_of(session, [customer_id]))[customer_id]


async def locked_facts_of(
    session: AsyncSession, customer_ids: Sequence[str]
) -> dict[str, CustomerFact]:
    """``locked_facts`` of several customers: one insert, then one read that locks the rows in
    customer order, the order every batch takes them in, so two batches never deadlock."""
    rows = [{"customer_id": c, "purchase_count": 0} for c in sorted(set(customer_ids))]
    await insert_rows_ignoring_conflict(session, CustomerFact.__table__, rows)
    query = (
        select(CustomerFact)
        .where(CustomerFact.customer_id.in_(customer_ids))
        .order_by(CustomerFact.customer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {fact.customer_id: fact for fact in (await session.scalars(query)).all()}


async def campaign(session: AsyncSession, campaign_id: str) -> Campaign | None:
    return await session.get(Campaign, campaign_id)


async def campaigns_page(
    session: AsyncSession, after: tuple[datetime, str] | None, limit: int
) -> Sequence[Campaign]:
    """Newest first; `after` is the (created_at, id) of the last campaign of the previous page."""
    query = newest_first(select(Campaign), Campaign.created_at, Campaign.id, after, limit)
    return (await session.scalars(query)).all()


async def not_yet_granted(
    session: AsyncSession, campaign_id: str, members: Sequence[str]
) -> list[str]:
    query = select(CampaignMemberGrant.member_id).where(
        CampaignMemberGrant.campaign_id == campaign_id,
        CampaignMemberGrant.member_id.in_(members),
    )
    granted = set((await session.scalars(query)).all())
    return sorted({m for m in members if m not in granted})


async def record_granted(
    session: AsyncSession, campaign_id: str, members: Sequence[str], grant_id: str, at: datetime
) -> None:
    session.add_all(
        CampaignMemberGrant(campaign_id=campaign_id, member_id=m, grant_id=grant_id, granted_at=at)
        for m in members
    )


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


async def add_step_arrival(session: AsyncSession, values: dict[str, Any]) -> None:
    await insert_ignoring_conflict(session, StepArrival.__table__, values)


# Per-step analytics: each query answers (version, step, …, count) rows for one chain.


async def arrivals_by_step(session: AsyncSession, chain_id: str) -> Sequence[Any]:
    """Enrollments that reached each step (a repeat visit counts once)."""
    enrollment = func.count(
        func.distinct(StepArrival.workflow_id + "/" + StepArrival.enrollment_key)
    )
    query = (
        select(StepArrival.version, StepArrival.step, StepArrival.holdout, enrollment)
        .where(StepArrival.chain_id == chain_id)
        .group_by(StepArrival.version, StepArrival.step, StepArrival.holdout)
    )
    return (await session.execute(query)).all()


async def waiting_by_step(session: AsyncSession, chain_id: str) -> Sequence[Any]:
    query = (
        select(Enrollment.version, Enrollment.step, func.count())
        .where(Enrollment.chain_id == chain_id, Enrollment.status == "active")
        .where(Enrollment.step.is_not(None))
        .group_by(Enrollment.version, Enrollment.step)
    )
    return (await session.execute(query)).all()


async def exits_by_step(session: AsyncSession, chain_id: str) -> Sequence[Any]:
    query = (
        select(Enrollment.version, Enrollment.exit_step, Enrollment.exit_reason, func.count())
        .where(Enrollment.chain_id == chain_id, Enrollment.status == "exited")
        .group_by(Enrollment.version, Enrollment.exit_step, Enrollment.exit_reason)
    )
    return (await session.execute(query)).all()


async def messages_by_step(session: AsyncSession, chain_id: str) -> Sequence[Any]:
    query = (
        select(ChainMessage.version, ChainMessage.step, ChainMessage.status, func.count())
        .where(ChainMessage.chain_id == chain_id)
        .group_by(ChainMessage.version, ChainMessage.step, ChainMessage.status)
    )
    return (await session.execute(query)).all()


async def points_by_step(session: AsyncSession, chain_id: str) -> Sequence[Any]:
    query = (
        select(ChainGrant.version, ChainGrant.step, func.sum(ChainGrant.amount))
        .where(ChainGrant.chain_id == chain_id)
        .group_by(ChainGrant.version, ChainGrant.step)
    )
    return (await session.execute(query)).all()


async def daily_counts(
    session: AsyncSession, what: str, chain_id: str, since: datetime
) -> Sequence[Any]:
    """(UTC day, holdout, count) of `enrolled`, `exited` or `conversions` since `since`."""
    table, at = DAILY[what]
    day = func.date(at)
    query = (
        select(day, table.holdout, func.count())
        .where(table.chain_id == chain_id, at >= since)
        .group_by(day, table.holdout)
    )
    return (await session.execute(query)).all()


async def daily_revenue(session: AsyncSession, chain_id: str, since: datetime) -> Sequence[Any]:
    """(UTC day, holdout, net revenue) of the conversions since `since`, refunds taken off."""
    day = func.date(Conversion.converted_at)
    query = (
        select(day, Conversion.holdout, func.sum(Conversion.revenue - Conversion.refunded))
        .where(Conversion.chain_id == chain_id, Conversion.converted_at >= since)
        .group_by(day, Conversion.holdout)
    )
    return (await session.execute(query)).all()


async def enrolled_before(session: AsyncSession, chain_id: str, since: datetime) -> Sequence[Any]:
    """(holdout, enrollments) of the chain enrolled before `since`."""
    query = (
        select(Enrollment.holdout, func.count())
        .where(Enrollment.chain_id == chain_id, Enrollment.enrolled_at < since)
        .group_by(Enrollment.holdout)
    )
    return (await session.execute(query)).all()


DAILY: dict[str, tuple[Any, Any]] = {
    "enrolled": (Enrollment, Enrollment.enrolled_at),
    "exited": (Enrollment, Enrollment.exited_at),
    "conversions": (Conversion, Conversion.converted_at),
}


async def enrollments_of_customer(
    session: AsyncSession, customer_id: str, after: tuple[datetime, str] | None, limit: int
) -> Sequence[Enrollment]:
    """Newest first, `limit` at a time after the (enrolled_at, id) of the last one seen."""
    query = select(Enrollment).where(Enrollment.customer_id == customer_id)
    query = newest_first(query, Enrollment.enrolled_at, Enrollment.id, after, limit)
    return (await session.scalars(query)).all()


async def arrivals_of(session: AsyncSession, workflow_ids: Sequence[str]) -> Sequence[StepArrival]:
    query = (
        select(StepArrival)
        .where(StepArrival.workflow_id.in_(workflow_ids))
        .order_by(StepArrival.reached_at, StepArrival.visit)
    )
    return (await session.scalars(query)).all()
