"""Careful communication: the program's limits, a chain's overrides and what they decide."""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal

from notifier.domain.quiet_hours import QuietHours, next_local_morning

Action = Literal["send", "defer", "drop"]
OverCap = Literal["defer", "drop"]
PROGRAM = "program"
DEFAULT_QUIET = QuietHours(time(21, 0), time(9, 0))


@dataclass(frozen=True)
class Limits:
    daily_cap: int = 3
    min_pause_seconds: int = 0
    quiet: QuietHours = DEFAULT_QUIET
    over_cap: OverCap = "defer"


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str
    until: datetime | None = None


def override_scope(source: str) -> str | None:
    """`chain:welcome:v1:step` → `chain:welcome`: the scope a chain's or campaign's limits use."""
    parts = source.split(":")
    return ":".join(parts[:2]) if len(parts) >= 2 and parts[0] in {"chain", "campaign"} else None


def quiet_hours(at: datetime, time_zone: str, limits: Limits) -> Decision | None:
    opening = limits.quiet.next_open(at, time_zone)
    return Decision("defer", "quiet_hours", opening) if opening else None


def from_verdict(
    allowed: bool, reason: str, value: int, at: datetime, time_zone: str, limits: Limits
) -> Decision:
    if allowed:
        return Decision("send", reason)
    if reason == "pause":
        return Decision("defer", "pause", datetime.fromtimestamp(value, UTC))
    if limits.over_cap == "drop":
        return Decision("drop", "daily_cap")
    return Decision("defer", "daily_cap", next_local_morning(at, time_zone, limits.quiet.end))


def store_unavailable(at: datetime, critical: bool, retry_seconds: int) -> Decision:
    """Redis down: critical messages go (fail open), marketing waits (fail closed)."""
    if critical:
        return Decision("send", "policy_unavailable_bypassed")
    return Decision("defer", "policy_unavailable", at + timedelta(seconds=retry_seconds))
