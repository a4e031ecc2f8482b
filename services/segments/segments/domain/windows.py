"""Time windows of rule aggregates as half-open UTC ranges [start, end)."""

from datetime import UTC, datetime, timedelta

from segments.domain.rules import Window


def window_range(window: Window, now: datetime) -> tuple[datetime | None, datetime | None]:
    if window.days is not None:
        return now - timedelta(days=window.days), None
    if window.period is None:
        return None, None
    return period_range(window.period, now.astimezone(UTC))


def period_range(period: str, now: datetime) -> tuple[datetime, datetime]:
    unit, which = period.split("_", 1)[1], period.split("_", 1)[0]
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    index = (now.year * 12 + now.month - 1) // months
    if which == "previous":
        index -= 1
    return _month_start(index * months), _month_start((index + 1) * months)


def _month_start(months_since_year_zero: int) -> datetime:
    year, month = divmod(months_since_year_zero, 12)
    return datetime(year, month + 1, 1, tzinfo=UTC)
