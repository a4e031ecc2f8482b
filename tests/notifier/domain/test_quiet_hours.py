"""Quiet hours in the customer's own zone, including nights that straddle midnight UTC."""

from datetime import UTC, datetime, time

import pytest

from notifier.domain.policy import Limits, from_verdict, quiet_hours, store_unavailable
from notifier.domain.quiet_hours import QuietHours, local_day

NIGHT = QuietHours(time(21, 0), time(9, 0))


def utc(hour: int, minute: int = 0, day: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "zone", "opens"),
    [
        # Moscow (UTC+3): 21:00-09:00 local is 18:00-06:00 UTC, across midnight UTC.
        (utc(18, 30), "Europe/Moscow", utc(6, 0, day=11)),
        (utc(23, 59), "Europe/Moscow", utc(6, 0, day=11)),
        (utc(0, 30, day=11), "Europe/Moscow", utc(6, 0, day=11)),
        (utc(5, 59, day=11), "Europe/Moscow", utc(6, 0, day=11)),
        # Tokyo (UTC+9): 21:00 local is 12:00 UTC; the night ends at 00:00 UTC.
        (utc(12, 0), "Asia/Tokyo", utc(0, 0, day=11)),
        # New York (UTC-4 in March after the change): 21:00 local is 01:00 UTC next day.
        (utc(1, 30, day=11), "America/New_York", utc(13, 0, day=11)),
    ],
)
def test_inside_the_night_the_message_waits_for_the_local_morning(
    at: datetime, zone: str, opens: datetime
) -> None:
    assert NIGHT.next_open(at, zone) == opens


@pytest.mark.parametrize(
    ("at", "zone"),
    [
        (utc(17, 59), "Europe/Moscow"),  # 20:59 in Moscow
        (utc(6, 0), "Europe/Moscow"),  # 09:00 in Moscow
        (utc(11, 59), "Asia/Tokyo"),
        (utc(23, 0), "America/New_York"),  # 19:00 in New York
    ],
)
def test_outside_the_night_nothing_waits(at: datetime, zone: str) -> None:
    assert NIGHT.next_open(at, zone) is None


def test_a_window_that_does_not_wrap_midnight() -> None:
    lunch = QuietHours(time(12, 0), time(14, 0))
    assert lunch.next_open(utc(13, 0), "UTC") == utc(14, 0)
    assert lunch.next_open(utc(15, 0), "UTC") is None


def test_the_daily_cap_counts_the_customer_s_local_day() -> None:
    assert local_day(utc(22, 0), "Europe/Moscow") == "2026-03-11"
    assert local_day(utc(22, 0), "UTC") == "2026-03-10"


def test_the_policy_decides_defer_drop_and_fail_closed_or_open() -> None:
    at = utc(12, 0)
    assert quiet_hours(utc(19, 0), "Europe/Moscow", Limits()) is not None
    over = from_verdict(False, "daily_cap", 3, at, "Europe/Moscow", Limits())
    assert (over.action, over.until) == ("defer", utc(6, 0, day=11))
    dropped = from_verdict(False, "daily_cap", 3, at, "UTC", Limits(over_cap="drop"))
    assert dropped.action == "drop"
    paused = from_verdict(False, "pause", int(utc(12, 10).timestamp()), at, "UTC", Limits())
    assert (paused.action, paused.until) == ("defer", utc(12, 10))
    assert store_unavailable(at, critical=False, retry_seconds=60).action == "defer"
    assert store_unavailable(at, critical=True, retry_seconds=60).action == "send"
