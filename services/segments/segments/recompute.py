"""Evaluating every segment: for one customer after their event, or for everyone daily.

Order matters: recency and RFM first, then rule segments in dependency order, so a rule that
says "in segment X" reads X's memberships as they are after this very evaluation.
"""

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.tracing import event_context
from segments import facts, repository
from segments.domain import recency, rfm
from segments.domain.rules import (
    Rule,
    RuleErrors,
    inputs_read,
    parse,
    segment_references,
)
from segments.facts import recency_bucket
from segments.memberships import (
    Change,
    Counts,
    SegmentRef,
    apply,
    apply_changes,
    change_rows,
    count,
    gather_changes,
    insert_outbox_rows,
    sync,
    write_changes,
)
from segments.models import CustomerProfile, Segment
from segments.rulesql import PROFILES, RuleCompiler, Scope, Slice
from segments.settings import SegmentsSettings
from segments.slices import Slicer

log = logging.getLogger(__name__)
# The inputs an event changed, by name (``domain.rules.inputs_read``); None: any of them.
Inputs = frozenset[str] | None


@dataclass(frozen=True)
class SegmentConfig:
    recency_edges_days: tuple[int, ...] = (30, 60, 90, 121)
    rfm_window_days: int = 365
    # Connections the full recompute works on side by side (PostgreSQL); one per core.
    parallelism: int = 2

    @classmethod
    def of(cls, settings: SegmentsSettings) -> "SegmentConfig":
        return cls(
            settings.recency_edges_days, settings.rfm_window_days, settings.recompute_parallelism
        )


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


def affected_rules(rules: Sequence[RuleSegment], changed: Inputs) -> list[RuleSegment]:
    """The rules whose members can move when ``changed`` inputs change (all when None)."""
    if changed is None:
        return list(rules)
    # The bucket is one column of the same query, so it is always evaluated: a customer first
    # seen through any event gets one, and a time-driven move is caught when they show up.
    moved = set(recency.SEGMENT_IDS)
    chosen: list[RuleSegment] = []
    for item in rules:
        refs = {ref.segment_id for ref in segment_references(item.rule)}
        if inputs_read(item.rule) & changed or refs & moved:
            moved.add(item.ref.id)
            chosen.append(item)
    return chosen


async def refresh_customer(
    session: AsyncSession,
    config: SegmentConfig,
    profile: CustomerProfile,
    now: datetime,
    changed: Inputs = None,
) -> Counts:
    """After an event about this customer: the segments it can move (all but RFM), for them.

    ``changed`` names the inputs the event changed (None: anything); a rule that reads none of
    them, directly or through segments it refers to, keeps its members until the next full
    recompute. The recency bucket is always evaluated. The evaluated segments and the stored
    memberships are one query.
    """
    refresher = await Refresher.prepare(session, config, now, changed)
    return await refresher.refresh(profile)


@dataclass(frozen=True)
class Refresher:
    """``refresh_customer`` for the customers of a batch of events: the lock, the segments and
    their rules are taken once, then each customer is evaluated once, whatever number of their
    events the batch held."""

    session: AsyncSession
    config: SegmentConfig
    now: datetime
    rules: list[RuleSegment]
    refs: list[SegmentRef]

    @classmethod
    async def prepare(
        cls, session: AsyncSession, config: SegmentConfig, now: datetime, changed: Inputs
    ) -> "Refresher":
        await repository.lock_memberships(session, exclusive=False)
        await session.flush()
        segments = await repository.list_segments(session)
        rules = affected_rules(in_dependency_order(segments), changed)
        refs = _builtin(segments, recency.SEGMENT_IDS) + [item.ref for item in rules]
        return cls(session, config, now, rules, refs)

    async def refresh(self, profile: CustomerProfile) -> Counts:
        """The customer's memberships, as their profile (in this transaction) now puts them."""
        return await self.refresh_all([profile])

    async def refresh_all(
        self, profiles: Sequence[CustomerProfile], traces: Mapping[str, str] | None = None
    ) -> Counts:
        """``refresh`` of several customers: one query evaluates them all, one statement each
        writes their entries and exits, and their events. ``traces``: the event whose trace
        each customer's membership events join, by customer."""
        session, ids = self.session, [p.customer_id for p in profiles]
        scope = Scope(self.now, sorted({p.time_zone for p in profiles}), ids)
        columns = customer_memberships(scope, self.config, self.rules)
        found = await repository.evaluate_customers(
            session, ids, columns, [r.id for r in self.refs]
        )
        each = {c: _changes(c, *found[c]) for c in ids}
        changes = [change for c in ids for change in each[c]]
        await apply(session, changes, self.now)
        refs, rows = {r.id: r for r in self.refs}, []
        for customer_id in ids:
            with event_context((traces or {}).get(customer_id, "")):
                rows += change_rows(each[customer_id], refs, self.now)
        await insert_outbox_rows(session, rows)
        return count(changes)


def _changes(customer_id: str, desired: set[str], current: set[str]) -> list[Change]:
    """Exits, then entries, each in segment order."""
    exits = [Change(s, customer_id, False) for s in sorted(current - desired)]
    return exits + [Change(s, customer_id, True) for s in sorted(desired - current)]


def customer_memberships(
    scope: Scope, config: SegmentConfig, rules: Sequence[RuleSegment]
) -> list[tuple[str | None, ColumnElement[Any]]]:
    """(segment id, condition) per rule and (None, bucket id) for the recency bucket."""
    profile = PROFILES.c
    days = scope.today_day(profile.time_zone) - profile.last_purchase_day
    never = profile.last_purchase_day.is_(None)
    bucket = recency_bucket(days, never, config.recency_edges_days)
    inline: dict[str, ColumnElement[bool]] = {s: bucket == s for s in recency.SEGMENT_IDS}
    columns: list[tuple[str | None, ColumnElement[Any]]] = [(None, bucket)]
    compiler = RuleCompiler(scope, PROFILES, None, inline)
    for item in rules:
        condition = compiler.condition(item.rule)
        inline[item.ref.id] = condition
        columns.append((item.ref.id, condition))
    return columns


async def recompute_all(
    session: AsyncSession,
    config: SegmentConfig,
    now: datetime,
    timings: dict[str, float] | None = None,
) -> Counts:
    """The daily full recompute: RFM scores, recency buckets and every rule segment.

    One pass writes the per-customer facts (``segments.facts``); what every segment should
    contain is then compared with what it contains in one statement, and only the difference
    is written, with one event per change. Both passes run over ``config.parallelism`` slices
    of the customers side by side (``segments.slices``); the RFM cut points between them are
    taken over everyone, and the difference is written here, in this transaction.
    """
    clock = _Stages(timings)
    await repository.lock_memberships(session, exclusive=True)
    await repository.plan_for_everyone(session)
    scope = Scope(now, await repository.known_time_zones(session))
    segments = await repository.list_segments(session)
    rules = in_dependency_order(segments)
    refs = _builtin(segments, (*recency.SEGMENT_IDS, *rfm.SEGMENT_IDS)) + [r.ref for r in rules]
    slicer = Slicer(session, config.parallelism)
    await slicer.split()

    async def write_facts(slice_session: AsyncSession, part: Slice | None) -> facts.FactsTable:
        name = Slicer.table_name(facts.FACTS, part)
        rule_list = [r.rule for r in rules]
        return await facts.build(
            slice_session,
            scope.of_slice(part),
            rule_list,
            config.rfm_window_days,
            name,
            part is None,
        )

    tables = await slicer.each(write_facts)
    await facts.add_rfm_cuts(session, tables)
    clock.lap("facts")

    async def find_changes(slice_session: AsyncSession, part: Slice | None) -> None:
        sliced = scope.of_slice(part)
        table = tables[0 if part is None else part.index]
        desired = facts.desired_memberships(
            table, sliced, config.recency_edges_days, {r.ref.id: r.rule for r in rules}
        )
        await write_changes(slice_session, desired, [r.id for r in refs], sliced)

    await slicer.each(find_changes)
    await gather_changes(session, slicer.slices)
    for part in slicer.slices:
        await facts.drop(session, Slicer.table_name(facts.FACTS, part))
    clock.lap("compare")
    return await apply_changes(session, refs, now, clock.lap)


class _Stages:
    """Seconds per stage, for the benchmark's breakdown; free when nobody asks."""

    def __init__(self, into: dict[str, float] | None) -> None:
        self.into = into
        self.last = time.perf_counter()

    def lap(self, stage: str) -> None:
        """Ends the stage that started at the previous lap."""
        if self.into is not None:
            now = time.perf_counter()
            self.into[stage] = round(now - self.last, 3)
            self.last = now
