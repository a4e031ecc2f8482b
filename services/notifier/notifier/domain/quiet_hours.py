"""Quiet hours in the customer's own time zone; the window may straddle local midnight."""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    start: time  # local time the quiet window opens, e.g. 21:00
    end: time  # local time it closes, e.g. 09:00

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_open(self, at: datetime, time_zone: str) -> datetime | None:
        """When the window next closes (UTC), or None when ``at`` is outside it."""
        local = at.astimezone(ZoneInfo(time_zone))
        if not self.contains(local.time().replace(tzinfo=None)):
            return None
        day = local.date() if local.time() < self.end else local.date() + timedelta(days=1)
        opening = datetime.combine(day, self.end, tzinfo=ZoneInfo(time_zone))
        return opening.astimezone(UTC)


def local_day(at: datetime, time_zone: str) -> str:
    """The customer's calendar day at ``at``, the unit of the daily cap."""
    return at.astimezone(ZoneInfo(time_zone)).date().isoformat()


def local_day_start(at: datetime, time_zone: str) -> datetime:
    """When the customer's calendar day at ``at`` began, in UTC."""
    zone = ZoneInfo(time_zone)
    return datetime.combine(at.astimezone(zone).date(), time(0), tzinfo=zone).astimezone(UTC)


def next_local_morning(at: datetime, time_zone: str, opening: time) -> datetime:
    """The next local day at ``opening``: where a message over the daily cap is deferred to."""
    zone = ZoneInfo(time_zone)
    tomorrow = at.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, opening, tzinfo=zone).astimezone(UTC)
