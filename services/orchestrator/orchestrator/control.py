"""The global control group: a programme-wide share of customers who get no marketing from
any chain or campaign, so the whole programme's incremental revenue can be measured.

A customer's place is a stable hash bucket (0..9 999) independent of every chain's holdout;
he is in the group while his bucket is below the share in force. The share changes only
forward: a change is appended with the moment it was made as its start and can never be
back-dated, so a past month keeps the group it had. Raising the share moves the next buckets
into the group from that moment on; lowering it releases some. A month in which a customer
changed sides counts him on neither side.
"""

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator import analytics_repository as store
from orchestrator.stats import moments, scaled, welch

SCALE = 10_000
MAX_SHARE_BP = 5_000


def bucket(customer_id: str) -> int:
    digest = hashlib.sha256(f"control:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % SCALE


def in_control(customer_id: str, share_bp: int) -> bool:
    return bucket(customer_id) < share_bp


@dataclass(frozen=True)
class ShareHistory:
    changes: tuple[tuple[datetime, int], ...]  # (effective_from, share_bp), oldest first

    def at(self, moment: datetime) -> int:
        share = 0
        for start, share_bp in self.changes:
            if start > moment:
                break
            share = share_bp
        return share

    def during(self, start: datetime, end: datetime) -> tuple[int, int]:
        """The smallest and largest share in force within [start, end)."""
        shares = [self.at(start)] + [s for at, s in self.changes if start < at < end]
        return min(shares), max(shares)


async def history(session: AsyncSession) -> ShareHistory:
    return ShareHistory(tuple(await store.control_shares(session)))


async def excluded(session: AsyncSession, customer_id: str, now: datetime) -> bool:
    """Whether marketing must skip the customer now."""
    return in_control(customer_id, (await history(session)).at(now))


async def marketable(session: AsyncSession, members: Sequence[str], now: datetime) -> list[str]:
    share = (await history(session)).at(now)
    return [m for m in members if not in_control(m, share)]


async def change_share(session: AsyncSession, share_bp: int, now: datetime) -> ShareHistory:
    await store.add_control_share(session, now, share_bp)
    return await history(session)


def month_starts(now: datetime, months: int) -> list[datetime]:
    """The first instants of the last `months` calendar months (UTC), the current one last."""
    year, month = now.year, now.month
    starts = []
    for _ in range(months):
        starts.append(datetime(year, month, 1, tzinfo=UTC))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _next_month(start: datetime) -> datetime:
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


async def programme_report(session: AsyncSession, now: datetime, months: int) -> dict[str, Any]:
    starts = month_starts(now, months)
    shares = await history(session)
    members = await store.programme_members(session)
    spend: dict[tuple[datetime, str], float] = defaultdict(float)
    for customer_id, purchased_at, amount in await store.purchases_since(session, starts[0]):
        month = datetime(purchased_at.year, purchased_at.month, 1, tzinfo=UTC)
        spend[(month, customer_id)] += amount
    return {
        "months": [
            month_figures(start, min(_next_month(start), now), shares, members, spend)
            for start in starts
        ]
    }


def month_figures(
    start: datetime,
    end: datetime,
    shares: ShareHistory,
    members: Sequence[tuple[str, datetime]],
    spend: dict[tuple[datetime, str], float],
) -> dict[str, Any]:
    """Revenue per member in the month, the rest against the control group: members known
    before the month began, on the same side all month."""
    low, high = shares.during(start, end)
    control: list[float] = []
    marketed: list[float] = []
    for customer_id, first_seen_at in members:
        if first_seen_at >= start:
            continue
        side = bucket(customer_id)
        if side < low:
            control.append(spend.get((start, customer_id), 0.0))
        elif side >= high:
            marketed.append(spend.get((start, customer_id), 0.0))
    difference = welch(moments(marketed), moments(control))
    return {
        "month": start.strftime("%Y-%m"),
        "share_bp": {"low": low, "high": high},
        "control": len(control),
        "marketed": len(marketed),
        "revenue_per_member": asdict(difference) if difference else None,
        "incremental_revenue": scaled(difference, len(marketed)),
    }
