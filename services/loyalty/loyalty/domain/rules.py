"""Program rules: tiers, accrual, lifetimes and the redemption cap. Pure, no I/O.

Every rounding rule of the programme lives here, once: accrual rounds down, the redemption cap
rounds down, proportional shares of a return round down on the cumulative quantity.
"""

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINOR_UNITS_PER_POINT = 100  # one point pays for one major currency unit
BASIS_POINTS = 10_000


@dataclass(frozen=True)
class Tier:
    name: str
    min_spend: int  # trailing 12-month spend, minor units
    accrual_bp: int  # accrual in basis points of the part of a line paid with money
    lifetime_months: int


DEFAULT_TIERS = (
    Tier("base", 0, 500, 6),
    Tier("silver", 100_000, 700, 12),
    Tier("gold", 300_000, 1_000, 24),
)


@dataclass(frozen=True)
class ProgramRules:
    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    redemption_cap_bp: int = 2_000
    accrual_hold_days: int = 0
    time_zone: str = "UTC"
    reservation_ttl: timedelta = field(default=timedelta(minutes=15))
    expiring_notice_days: int = 7
    spend_window: timedelta = field(default=timedelta(days=365))

    def tier(self, name: str) -> Tier:
        return next((t for t in self.tiers if t.name == name), self.tiers[0])

    def tier_for_spend(self, spend: int) -> Tier:
        eligible = [t for t in self.tiers if spend >= t.min_spend]
        return max(eligible, key=lambda t: t.min_spend) if eligible else self.tiers[0]

    def accrual_points(self, money_paid: int, tier: Tier) -> int:
        """Points earned on ``money_paid`` minor units; rounds down."""
        return max(0, money_paid) * tier.accrual_bp // (BASIS_POINTS * MINOR_UNITS_PER_POINT)

    def redemption_cap_points(self, receipt_total: int) -> int:
        """At most this many points may pay for a receipt of ``receipt_total``; rounds down."""
        return receipt_total * self.redemption_cap_bp // (BASIS_POINTS * MINOR_UNITS_PER_POINT)

    def purchase_lot_expiry(self, purchased_at: datetime, tier: Tier) -> datetime:
        return end_of_day(add_months(self.local_date(purchased_at), tier.lifetime_months), self)

    def expiry_after_days(self, moment: datetime, days: int) -> datetime:
        return end_of_day(self.local_date(moment) + timedelta(days=days), self)

    def accrual_active_from(self, purchased_at: datetime) -> datetime:
        return purchased_at + timedelta(days=self.accrual_hold_days)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(ZoneInfo(self.time_zone)).date()


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def end_of_day(day: date, rules: ProgramRules) -> datetime:
    """The last second of ``day`` in the programme's time zone, as UTC."""
    local = datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(rules.time_zone))
    return local.astimezone(UTC)


def proportional(total: int, quantity_so_far: int, quantity: int) -> int:
    """The share of ``total`` for ``quantity_so_far`` of ``quantity`` items; rounds down.

    Computed on cumulative quantities, so returning every item yields exactly ``total``.
    """
    return total * quantity_so_far // quantity if quantity else 0
