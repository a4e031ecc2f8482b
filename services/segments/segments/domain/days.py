"""How days are counted: calendar days in the customer's own time zone.

A purchase's day is its local date (in the customer's zone) as a date ordinal; "days since" is
today's local ordinal minus it. So a purchase at 23:50 local is one day old ten minutes later.
"""

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC_NAME = "UTC"


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """An unknown zone counts as UTC rather than failing a whole projection."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(UTC_NAME)


def local_date(instant: datetime, time_zone: str) -> date:
    return instant.astimezone(zone(time_zone)).date()


def local_day(instant: datetime, time_zone: str) -> int:
    return local_date(instant, time_zone).toordinal()


def day_of_year(day: date) -> int:
    """Position in a leap year (1..366), so 29 February has its own place every year."""
    return date(2000, day.month, day.day).timetuple().tm_yday


def local_day_of_year(instant: datetime, time_zone: str) -> int:
    return day_of_year(local_date(instant, time_zone))
