"""Every query the analytics make: the projections they write and the report's reads."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Result, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import (
    insert_ignoring_conflict,
    insert_keeping_earliest,
    insert_rows_ignoring_conflict,
)
from orchestrator.models import (
    CampaignMember,
    CampaignMemberGrant,
    ChainGrant,
    ChainMessage,
    ChainRedemption,
    ControlGroupShare,
    Conversion,
    CustomerPurchase,
    Enrollment,
    ProgrammeMember,
)

NOT_ENROLLED = "not_in_audience"


async def add_purchases(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await insert_rows_ignoring_conflict(session, CustomerPurchase.__table__, rows)


async def add_conversion(session: AsyncSession, values: dict[str, Any]) -> bool:
    return await insert_ignoring_conflict(session, Conversion.__table__, values)


async def add_grant(session: AsyncSession, values: dict[str, Any]) -> bool:
    return await insert_ignoring_conflict(session, ChainGrant.__table__, values)


async def add_redemption(session: AsyncSession, values: dict[str, Any]) -> bool:
    return await insert_ignoring_conflict(session, ChainRedemption.__table__, values)


async def refund(session: AsyncSession, keys: Sequence[str], amount: int) -> None:
    """A return takes its refund off the purchase and off any conversion it made: the first of
    `keys` that names a recorded purchase, so a fallback key never refunds a second one."""
    for key in keys:
        purchases = await session.execute(
            update(CustomerPurchase)
            .where(CustomerPurchase.purchase_key == key)
            .values(refunded=CustomerPurchase.refunded + amount)
        )
        conversions = await session.execute(
            update(Conversion)
            .where(Conversion.purchase_id == key)
            .values(refunded=Conversion.refunded + amount)
        )
        if _rows(purchases) or _rows(conversions):
            return


def _rows(result: Result[Any]) -> int:
    return cast(CursorResult[Any], result).rowcount


async def chain_grants(session: AsyncSession, grant_ids: Sequence[str]) -> dict[str, ChainGrant]:
    if not grant_ids:
        return {}
    found = await session.scalars(select(ChainGrant).where(ChainGrant.grant_id.in_(grant_ids)))
    return {g.grant_id: g for g in found.all()}


async def message(session: AsyncSession, delivery_id: str, channel: str) -> ChainMessage | None:
    return await session.get(ChainMessage, (delivery_id, channel))


async def outcomes(session: AsyncSession, chain_id: str) -> Sequence[Any]:
    """One row per enrollment (those the audience let in): its group, state, touches and its
    conversion, if any."""
    query = (
        select(
            Enrollment.id,
            Enrollment.version,
            Enrollment.holdout,
            Enrollment.status,
            Enrollment.exit_reason,
            Enrollment.enrolled_at,
            Enrollment.last_touch_at,
            Conversion.revenue,
            Conversion.refunded,
            Conversion.converted_at,
        )
        .outerjoin(Conversion, Conversion.enrollment_id == Enrollment.id)
        .where(Enrollment.chain_id == chain_id)
        .where((Enrollment.exit_reason.is_(None)) | (Enrollment.exit_reason != NOT_ENROLLED))
    )
    return (await session.execute(query)).all()


async def prior_purchases(session: AsyncSession, chain_id: str, since: datetime) -> Sequence[Any]:
    """Each enrollment's customer's purchases before it started (and after `since`), net of
    returns: the pre-period CUPED adjusts with."""
    query = (
        select(
            Enrollment.id,
            Enrollment.enrolled_at,
            CustomerPurchase.purchased_at,
            CustomerPurchase.paid_amount - CustomerPurchase.refunded,
        )
        .join(CustomerPurchase, CustomerPurchase.customer_id == Enrollment.customer_id)
        .where(Enrollment.chain_id == chain_id)
        .where(CustomerPurchase.purchased_at < Enrollment.enrolled_at)
        .where(CustomerPurchase.purchased_at >= since)
    )
    return (await session.execute(query)).all()


async def message_totals(session: AsyncSession, chain_id: str) -> Sequence[Any]:
    query = (
        select(
            ChainMessage.version,
            ChainMessage.step,
            ChainMessage.channel,
            ChainMessage.status,
            func.count(),
            func.coalesce(func.sum(ChainMessage.cost), 0),
            func.coalesce(func.sum(ChainMessage.segments), 0),
        )
        .where(ChainMessage.chain_id == chain_id)
        .group_by(
            ChainMessage.version,
            ChainMessage.step,
            ChainMessage.channel,
            ChainMessage.status,
        )
    )
    return (await session.execute(query)).all()


async def grant_totals(session: AsyncSession, chain_id: str) -> Sequence[Any]:
    query = (
        select(ChainGrant.version, ChainGrant.step, func.sum(ChainGrant.amount))
        .where(ChainGrant.chain_id == chain_id)
        .group_by(ChainGrant.version, ChainGrant.step)
    )
    return (await session.execute(query)).all()


async def redeemed_totals(session: AsyncSession, chain_id: str) -> dict[int, int]:
    query = (
        select(ChainRedemption.version, func.sum(ChainRedemption.points))
        .where(ChainRedemption.chain_id == chain_id)
        .group_by(ChainRedemption.version)
    )
    return {version: int(points) for version, points in (await session.execute(query)).all()}


async def add_member(session: AsyncSession, customer_id: str, seen_at: datetime) -> None:
    """The member from the earliest moment heard of: a registration consumed after the
    customer's first purchase still dates him from the registration."""
    await add_members(session, {customer_id: seen_at})


async def add_members(session: AsyncSession, seen: dict[str, datetime]) -> None:
    """``add_member`` of several customers in one statement."""
    rows = [{"customer_id": c, "first_seen_at": at} for c, at in sorted(seen.items())]
    table = ProgrammeMember.__table__
    await insert_keeping_earliest(session, table, rows, "customer_id", "first_seen_at")


async def programme_members(session: AsyncSession) -> list[tuple[str, datetime]]:
    query = select(ProgrammeMember.customer_id, ProgrammeMember.first_seen_at)
    return [(c, at) for c, at in (await session.execute(query)).all()]


async def purchases_since(session: AsyncSession, since: datetime) -> Sequence[Any]:
    query = select(
        CustomerPurchase.customer_id,
        CustomerPurchase.purchased_at,
        CustomerPurchase.paid_amount - CustomerPurchase.refunded,
    ).where(CustomerPurchase.purchased_at >= since)
    return (await session.execute(query)).all()


async def control_shares(session: AsyncSession) -> list[tuple[datetime, int]]:
    query = select(ControlGroupShare.effective_from, ControlGroupShare.share_bp)
    rows = await session.execute(query.order_by(ControlGroupShare.effective_from))
    return [(at, share) for at, share in rows.all()]


async def add_control_share(session: AsyncSession, at: datetime, share_bp: int) -> None:
    session.add(ControlGroupShare(effective_from=at, share_bp=share_bp))


async def add_campaign_members(
    session: AsyncSession, campaign_id: str, sides: dict[str, bool], at: datetime
) -> None:
    for customer_id, holdout in sides.items():
        values = {
            "campaign_id": campaign_id,
            "customer_id": customer_id,
            "holdout": holdout,
            "reached_at": at,
        }
        await insert_ignoring_conflict(session, CampaignMember.__table__, values)


async def campaign_members(session: AsyncSession, campaign_id: str) -> Sequence[Any]:
    """Every member the campaign reached: (customer_id, holdout, reached_at)."""
    query = select(
        CampaignMember.customer_id, CampaignMember.holdout, CampaignMember.reached_at
    ).where(CampaignMember.campaign_id == campaign_id)
    return (await session.execute(query)).all()


async def campaign_purchases(
    session: AsyncSession, campaign_id: str, since: datetime
) -> Sequence[Any]:
    """The purchases of the campaign's members from `since` on: (customer_id, purchased_at,
    paid_amount, refunded); the report keeps those around each member's own moment."""
    query = (
        select(
            CampaignMember.customer_id,
            CustomerPurchase.purchased_at,
            CustomerPurchase.paid_amount,
            CustomerPurchase.refunded,
        )
        .join(CustomerPurchase, CustomerPurchase.customer_id == CampaignMember.customer_id)
        .where(CampaignMember.campaign_id == campaign_id)
        .where(CustomerPurchase.purchased_at >= since)
    )
    return (await session.execute(query)).all()


async def campaign_points_granted(session: AsyncSession, campaign_id: str) -> int:
    """Members the campaign's grants covered (each got the campaign's amount)."""
    query = select(func.count()).where(CampaignMemberGrant.campaign_id == campaign_id)
    return int((await session.execute(query)).scalar_one())
