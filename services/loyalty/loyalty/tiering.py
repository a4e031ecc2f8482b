"""Tiers follow the trailing 12-month spend; a change is announced."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.contracts.loyalty import MemberTierChanged, MemberTierChangedPayload
from loyalty import ledger
from loyalty.domain.rules import ProgramRules
from loyalty.models import Member, outbox


async def refresh_tier(
    session: AsyncSession, rules: ProgramRules, member: Member, now: datetime
) -> None:
    spend = await ledger.trailing_spend(session, member.id, now - rules.spend_window)
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
