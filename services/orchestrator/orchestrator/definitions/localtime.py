"""The customer's wall clock: when does their `at` next come round?"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def next_local_time(now: datetime, time_zone: str | None, at: time, after_days: int) -> datetime:
    """`at` on the local date `after_days` from now; the day after if that moment has passed."""
    tz = zone(time_zone)
    local_now = now.astimezone(tz)
    day = local_now.date() + timedelta(days=after_days)
    target = datetime.combine(day, at, tzinfo=tz)
    if target <= local_now:
        target = datetime.combine(day + timedelta(days=1), at, tzinfo=tz)
    return target.astimezone(UTC)
