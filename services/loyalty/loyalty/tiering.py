"""Tiers follow the trailing 12-month spend; a change is announced.

Spend counts for the tier at a purchase or a return, and again when it leaves the window: the
member's ``tier_review_at`` is the moment its oldest counted purchase does, and the sweep
reviews the tier then (``review_due``), so a member who stops buying steps down.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.contracts.loyalty import MemberTierChanged, MemberTierChangedPayload
from loyalty import ledger
from loyalty.domain.rules import ProgramRules
from loyalty.models import Member, Purchase, outbox


def spend_since(rules: ProgramRules, now: datetime) -> datetime:
    """Where the window of spend that sets the tier starts."""
    return now - rules.spend_window


async def refresh_tier(
    session: AsyncSession,
    rules: ProgramRules,
    member: Member,
    now: datetime,
    confirming: Purchase | None = None,
    spend_before: int | None = None,
) -> None:
    """``confirming``: a purchase this transaction confirms at ``now``, counted before its row
    says so (its changes are then written in one statement with the rest). ``spend_before``:
    the member's spend in the window without it, when the caller has read it already."""
    since = spend_since(rules, now)
    if confirming is None:
        spend = await ledger.trailing_spend(session, member.id, since)
    else:
        if spend_before is None:
            excluding = (confirming.store_id, confirming.txid)
            spend_before = await ledger.trailing_spend(session, member.id, since, excluding)
        spend = spend_before + _counted(confirming)
    changed = apply_spend(rules, member, now, spend, confirming is not None)
    if changed is not None:
        await outbox.add(session, changed)


def _counted(purchase: Purchase) -> int:
    return purchase.paid_amount - purchase.refunded_amount


def apply_confirmed(
    rules: ProgramRules, member: Member, now: datetime, confirming: Purchase, spend_before: int
) -> MemberTierChanged | None:
    """``apply_spend`` once ``confirming`` counts: ``spend_before`` is the spend without it."""
    return apply_spend(rules, member, now, spend_before + _counted(confirming), True)


def apply_spend(
    rules: ProgramRules, member: Member, now: datetime, spend: int, confirming: bool
) -> MemberTierChanged | None:
    """Sets the member's trailing ``spend``, and the tier it earns; the event announcing a new
    tier. ``confirming``: the spend counts a purchase confirmed at ``now``."""
    if confirming and member.tier_review_at is None:
        member.tier_review_at = now + rules.spend_window  # later purchases leave it later
    tier = rules.tier_for_spend(spend)
    member.trailing_spend, member.spend_counted_at = spend, now
    if tier.name == member.tier:
        return None
    payload = MemberTierChangedPayload(
        previous_tier=member.tier, tier=tier.name, trailing_spend=spend
    )
    member.tier = tier.name
    return MemberTierChanged(customer_id=member.id, occurred_at=now, payload=payload)


async def review_due(session: AsyncSession, rules: ProgramRules, now: datetime, batch: int) -> int:
    """Reviews the tiers of up to ``batch`` members whose oldest counted spend has left the
    window, and schedules each one's next review; how many were reviewed."""
    due = (
        select(Member)
        .where(Member.tier_review_at < now)
        .order_by(Member.tier_review_at, Member.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    members = list((await session.execute(due)).scalars())
    for member in members:
        await refresh_tier(session, rules, member, now)
        since = now - rules.spend_window
        oldest = await ledger.oldest_counted_purchase(session, member.id, since)
        # Not before now (``oldest`` is still counted), and due means before now: a member is
        # reviewed once per sweep.
        member.tier_review_at = oldest + rules.spend_window if oldest else None
    return len(members)
