"""Tiers follow the trailing 12-month spend; a change is announced."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.contracts.loyalty import MemberTierChanged, MemberTierChangedPayload
from loyalty import ledger
from loyalty.domain.rules import ProgramRules
from loyalty.models import Member, Purchase, outbox


async def refresh_tier(
    session: AsyncSession,
    rules: ProgramRules,
    member: Member,
    now: datetime,
    confirming: Purchase | None = None,
) -> None:
    """``confirming``: a purchase this transaction confirms at ``now``, counted before its row
    says so (its changes are then written in one flush with the rest)."""
    since = now - rules.spend_window
    if confirming is None:
        spend = await ledger.trailing_spend(session, member.id, since)
    else:
        spend = await ledger.trailing_spend(session, member.id, since, confirming.txid)
        spend += confirming.paid_amount - confirming.refunded_amount
    tier = rules.tier_for_spend(spend)
    member.trailing_spend = spend
    if tier.name == member.tier:
        return
    payload = MemberTierChangedPayload(
        previous_tier=member.tier, tier=tier.name, trailing_spend=spend
    )
    member.tier = tier.name
    await outbox.add(
        session, MemberTierChanged(customer_id=member.id, occurred_at=now, payload=payload)
    )
