"""Evaluating every segment: for one customer after their event, or for everyone daily.

Order matters: recency and RFM first, then rule segments in dependency order, so a rule that
says "in segment X" reads X's memberships as they are after this very evaluation.
"""

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from segments import repository
from segments.domain import recency, rfm
from segments.domain.rules import Rule, RuleErrors, parse, segment_references
from segments.memberships import Counts, SegmentRef, sync
from segments.models import Segment
from segments.rulesql import (
    PROFILES,
    RuleCompiler,
    Scope,
    recency_memberships,
    rfm_memberships,
)
from segments.settings import SegmentsSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SegmentConfig:
    recency_edges_days: tuple[int, ...] = (30, 60, 90, 121)
    rfm_window_days: int = 365

    @classmethod
    def of(cls, settings: SegmentsSettings) -> "SegmentConfig":
        return cls(settings.recency_edges_days, settings.rfm_window_days)


@dataclass(frozen=True)
class RuleSegment:
    ref: SegmentRef
    rule: Rule


def ref_of(segment: Segment) -> SegmentRef:
    return SegmentRef(segment.id, segment.version, segment.name)


def rule_memberships(segment_id: str, rule: Rule, scope: Scope) -> Any:
    condition = RuleCompiler(scope).condition(rule)
    query = select(literal(segment_id).label("segment_id"), PROFILES.c.customer_id).where(condition)
    return scope.narrow(query, PROFILES.c.customer_id)


def in_dependency_order(segments: Sequence[Segment]) -> list[RuleSegment]:
    """Rule segments, each after the rule segments it refers to; a broken one is skipped."""
    parsed: dict[str, RuleSegment] = {}
    for segment in segments:
        if segment.kind != "rule":
            continue
        try:
            parsed[segment.id] = RuleSegment(ref_of(segment), parse(segment.definition))
        except RuleErrors:
            log.error("stored rule no longer parses", extra={"segment_id": segment.id})
    ordered: list[RuleSegment] = []
    placed: set[str] = set()
    while len(placed) < len(parsed):
        ready = [
            item
            for sid, item in parsed.items()
            if sid not in placed
            and all(
                ref.segment_id in placed or ref.segment_id not in parsed
                for ref in segment_references(item.rule)
            )
        ]
        if not ready:
            log.error("segments refer to each other in a cycle; skipped")
            break
        ordered += ready
        placed |= {item.ref.id for item in ready}
    return ordered


def dependents_of(segment_id: str, rules: Sequence[RuleSegment]) -> list[RuleSegment]:
    """The segment itself and every rule segment that depends on it, in dependency order."""
    affected = {segment_id}
    chosen: list[RuleSegment] = []
    for item in rules:
        refs = {ref.segment_id for ref in segment_references(item.rule)}
        if item.ref.id in affected or refs & affected:
            affected.add(item.ref.id)
            chosen.append(item)
    return chosen


async def sync_rules(session: AsyncSession, rules: Sequence[RuleSegment], scope: Scope) -> Counts:
    counts = Counts()
    for item in rules:
        desired = rule_memberships(item.ref.id, item.rule, scope)
        counts.add(await sync(session, desired, [item.ref], scope))
    return counts


def _builtin(segments: Sequence[Segment], ids: Sequence[str]) -> list[SegmentRef]:
    return [ref_of(s) for s in segments if s.id in ids]


async def refresh_customer(
    session: AsyncSession, config: SegmentConfig, customer_id: str, now: datetime
) -> Counts:
    """After an event about this customer: every segment except RFM, for them alone."""
    await repository.lock_memberships(session, exclusive=False)
    await session.flush()
    profile = await repository.get_profile(session, customer_id)
    if profile is None:
        return Counts()
    scope = Scope(now, [profile.time_zone], customer_id)
    segments = await repository.list_segments(session)
    counts = await sync(
        session,
        recency_memberships(scope, config.recency_edges_days),
        _builtin(segments, recency.SEGMENT_IDS),
        scope,
    )
    counts.add(await sync_rules(session, in_dependency_order(segments), scope))
    return counts


async def recompute_all(
    session: AsyncSession,
    config: SegmentConfig,
    now: datetime,
    timings: dict[str, float] | None = None,
) -> Counts:
    """The daily full recompute: RFM scores, recency buckets and every rule segment."""
    clock = _Stages(timings)
    await repository.lock_memberships(session, exclusive=True)
    await repository.plan_for_everyone(session)
    scope = Scope(now, await repository.known_time_zones(session))
    segments = await repository.list_segments(session)
    recency_refs = _builtin(segments, recency.SEGMENT_IDS)
    desired = recency_memberships(scope, config.recency_edges_days)
    counts = await sync(session, desired, recency_refs, scope)
    clock.lap("recency_buckets")
    rfm_refs = _builtin(segments, rfm.SEGMENT_IDS)
    desired_rfm = rfm_memberships(scope, config.rfm_window_days, session.get_bind().dialect.name)
    counts.add(await sync(session, desired_rfm, rfm_refs, scope))
    clock.lap("rfm_segments")
    counts.add(await sync_rules(session, in_dependency_order(segments), scope))
    clock.lap("rule_segments")
    return counts


class _Stages:
    """Seconds per stage, for the benchmark's breakdown; free when nobody asks."""

    def __init__(self, into: dict[str, float] | None) -> None:
        self.into = into
        self.last = time.perf_counter()

    def lap(self, stage: str) -> None:
        if self.into is not None:
            now = time.perf_counter()
            self.into[stage] = round(now - self.last, 3)
            self.last = now
