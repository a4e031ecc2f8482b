"""A member's balance as the till and the app show it."""

from collections import defaultdict
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from loyalty import ledger, repository
from loyalty.errors import MemberNotFound
from loyalty.models import Lot
from loyalty.schemas import BalanceOut, ExpiringPoints, PendingPoints

NEXT_EXPIRIES = 3


async def balance(session: AsyncSession, member_id: str) -> BalanceOut:
    member = await repository.get_member(session, member_id)
    if member is None:
        raise MemberNotFound()
    now = utcnow()
    lots = [lot for lot in await ledger.member_lots(session, member_id) if lot.expires_at >= now]
    active = [lot for lot in lots if lot.active_from <= now]
    return BalanceOut(
        customer_id=member_id,
        available=sum(lot.remaining - lot.reserved for lot in active),
        pending=sum(lot.remaining - lot.reserved for lot in lots if lot.active_from > now),
        reserved=sum(lot.reserved for lot in lots),
        debt=member.debt,
        tier=member.tier,
        trailing_spend=member.trailing_spend,
        expiring=next_expiries(lots, now),
        pending_lots=next_activations(lots, now),
    )


def next_expiries(lots: list[Lot], now: datetime) -> list[ExpiringPoints]:
    """Free points by expiry date, pending ones included (they burn too if never spent)."""
    by_date: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
    for lot in lots:
        if lot.remaining > lot.reserved and lot.expires_at >= now:
            by_date[lot.expires_at][0] += lot.remaining - lot.reserved
            if lot.active_from > now:
                by_date[lot.expires_at][1] += lot.remaining - lot.reserved
    soonest = sorted(by_date.items())[:NEXT_EXPIRIES]
    return [
        ExpiringPoints(amount=amount, expires_at=at, pending=pending)
        for at, (amount, pending) in soonest
    ]


def next_activations(lots: list[Lot], now: datetime) -> list[PendingPoints]:
    """Points not spendable yet, by the moment they become so (and the date they burn)."""
    by_window: dict[tuple[datetime, datetime], int] = defaultdict(int)
    for lot in lots:
        if lot.active_from > now and lot.remaining > lot.reserved:
            by_window[(lot.active_from, lot.expires_at)] += lot.remaining - lot.reserved
    soonest = sorted(by_window.items())[:NEXT_EXPIRIES]
    return [
        PendingPoints(amount=amount, active_from=active_from, expires_at=expires_at)
        for (active_from, expires_at), amount in soonest
    ]
