"""Per-step figures of a chain (a funnel) and its daily series (a chart), per version.

For each step of each published version: enrollments that reached it (treated and holdout),
that wait at it now, that left the chain there (by reason), its messages by final status and
the points it granted. Arrivals come from `step_arrivals` (recorded as each enrollment enters a
step); messages and points from the projections of `message.*` and `bonus.granted` events; the
messages held back (deferred) and never tried (skipped), each by reason, from the notifier,
which alone knows them (`GET /outcomes?source=chain:{id}:v{version}:{step}`).
"""

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import httpx
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from orchestrator import repository
from orchestrator.chains import published_definition
from orchestrator.errors import NotifierUnavailable

MESSAGE_STATUSES = ("sent", "delivered", "opened", "clicked", "failed")


class Split(BaseModel):
    treated: int = 0
    holdout: int = 0


class StepFigures(BaseModel):
    step: str
    kind: str
    reached: Split
    waiting: int
    exited: dict[str, int]  # reason -> enrollments that left the chain at this step
    messages: dict[str, int]  # final status -> messages
    deferred: dict[str, int] = Field(
        description="Messages held back now, by reason (quiet_hours, daily_cap, pause)"
    )
    skipped: dict[str, int] = Field(
        description="Messages never tried, by reason (no_consent, no_address, daily_cap, …)"
    )
    points_granted: int


class VersionSteps(BaseModel):
    version: int
    steps: list[StepFigures]
    exited_before_first_step: dict[str, int]  # e.g. not_in_audience


class Day(BaseModel):
    date: date
    enrolled: Split
    exited: Split
    conversions: Split
    revenue: Split = Field(
        description="Net revenue (minor units, refunds off) of the day's conversions",
    )
    revenue_per_member: Split = Field(
        description="The day's revenue over the arm's enrollments so far (those enrolled by "
        "the day's end), rounded to whole minor units: what makes the arms comparable",
    )


class StepReport(BaseModel):
    chain_id: str
    versions: list[VersionSteps]
    daily: list[Day]


Key = tuple[int, str | None]


async def report(
    session: AsyncSession, notifier: httpx.AsyncClient, chain_id: str, days: int
) -> StepReport:
    figures = await _step_figures(session, chain_id)
    published = {row.version for row in await repository.versions(session, chain_id)}
    versions = sorted(published | {version for table in figures.values() for version, _ in table})
    found = [await _version(session, chain_id, v, figures) for v in versions]
    await _held_back(notifier, chain_id, found)
    return StepReport(
        chain_id=chain_id, versions=found, daily=await _daily(session, chain_id, days)
    )


async def _held_back(
    notifier: httpx.AsyncClient, chain_id: str, versions: list[VersionSteps]
) -> None:
    """Each send step's deferred and skipped messages by reason, asked of the notifier at once."""
    sends = [(v, s) for v in versions for s in v.steps if s.kind == "send"]
    sources = [f"chain:{chain_id}:v{v.version}:{s.step}" for v, s in sends]
    answers = await asyncio.gather(*(_outcomes(notifier, source) for source in sources))
    for (_, step), outcome in zip(sends, answers, strict=True):
        step.deferred, step.skipped = dict(outcome["deferred"]), dict(outcome["skipped"])


async def _outcomes(notifier: httpx.AsyncClient, source: str) -> dict[str, Any]:
    try:
        answer = await notifier.get("/outcomes", params={"source": source})
    except httpx.HTTPError as exc:
        raise NotifierUnavailable(f"GET /outcomes: {exc}") from exc
    if answer.status_code != 200:
        raise NotifierUnavailable(f"GET /outcomes answered {answer.status_code}")
    found: dict[str, Any] = answer.json()
    return found


async def _step_figures(session: AsyncSession, chain_id: str) -> dict[str, dict[Key, Any]]:
    reached: dict[Key, Split] = defaultdict(Split)
    for version, step, holdout, count in await repository.arrivals_by_step(session, chain_id):
        split = reached[(version, step)]
        reached[(version, step)] = _add(split, bool(holdout), int(count))
    return {
        "reached": reached,
        "waiting": _totals(await repository.waiting_by_step(session, chain_id)),
        "exited": _by_label(await repository.exits_by_step(session, chain_id)),
        "messages": _by_label(await repository.messages_by_step(session, chain_id)),
        "points": _totals(await repository.points_by_step(session, chain_id)),
    }


def _add(split: Split, holdout: bool, count: int) -> Split:
    if holdout:
        return split.model_copy(update={"holdout": split.holdout + count})
    return split.model_copy(update={"treated": split.treated + count})


def _totals(rows: Sequence[Any]) -> dict[Key, int]:
    return {(version, step): int(value or 0) for version, step, value in rows}


def _by_label(rows: Sequence[Any]) -> dict[Key, dict[str, int]]:
    found: dict[Key, dict[str, int]] = defaultdict(dict)
    for version, step, label, count in rows:
        found[(version, step)][str(label)] = int(count)
    return found


async def _version(
    session: AsyncSession, chain_id: str, version: int, figures: dict[str, dict[Key, Any]]
) -> VersionSteps:
    definition = await published_definition(session, chain_id, version)
    kinds = {s.id: s.kind for s in definition.steps} if definition else {}
    seen = {step for table in figures.values() for v, step in table if v == version and step}
    ordered = list(kinds) + sorted(seen - set(kinds))
    steps = [_step(version, step, kinds.get(step, "unknown"), figures) for step in ordered]
    return VersionSteps(
        version=version,
        steps=steps,
        exited_before_first_step=dict(figures["exited"].get((version, None), {})),
    )


def _step(version: int, step: str, kind: str, figures: dict[str, dict[Key, Any]]) -> StepFigures:
    key = (version, step)
    messages = figures["messages"].get(key, {})
    return StepFigures(
        step=step,
        kind=kind,
        reached=figures["reached"].get(key, Split()),
        waiting=figures["waiting"].get(key, 0),
        exited=dict(figures["exited"].get(key, {})),
        messages={status: messages.get(status, 0) for status in MESSAGE_STATUSES},
        deferred={},
        skipped={},
        points_granted=figures["points"].get(key, 0),
    )


async def _daily(session: AsyncSession, chain_id: str, days: int) -> list[Day]:
    midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    since = midnight - timedelta(days=days - 1)
    series: dict[date, dict[str, Split]] = defaultdict(
        lambda: {name: Split() for name in ("enrolled", "exited", "conversions", "revenue")}
    )
    for name in ("enrolled", "exited", "conversions"):
        for day, holdout, count in await repository.daily_counts(session, name, chain_id, since):
            bucket = series[date.fromisoformat(str(day))]
            bucket[name] = _add(bucket[name], bool(holdout), int(count))
    for day, holdout, amount in await repository.daily_revenue(session, chain_id, since):
        bucket = series[date.fromisoformat(str(day))]
        bucket["revenue"] = _add(bucket["revenue"], bool(holdout), int(amount or 0))
    found = [Day(date=day, revenue_per_member=Split(), **series[day]) for day in sorted(series)]
    return per_member(found, _split(await repository.enrolled_before(session, chain_id, since)))


def per_member(days: list[Day], enrolled_before: Split) -> list[Day]:
    """Each day's revenue over each arm's enrollments by the day's end (`days` oldest first)."""
    treated, holdout = enrolled_before.treated, enrolled_before.holdout
    for day in days:
        treated, holdout = treated + day.enrolled.treated, holdout + day.enrolled.holdout
        day.revenue_per_member = Split(
            treated=_share(day.revenue.treated, treated),
            holdout=_share(day.revenue.holdout, holdout),
        )
    return days


def _share(amount: int, members: int) -> int:
    """`amount / members` rounded half up, in integers (64-bit money stays exact)."""
    return (2 * amount + members) // (2 * members) if members else 0


def _split(rows: Sequence[Any]) -> Split:
    found = Split()
    for holdout, count in rows:
        found = _add(found, bool(holdout), int(count))
    return found
