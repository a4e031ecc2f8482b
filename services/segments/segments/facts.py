"""The full recompute's single pass: one narrow row of facts per customer, then every segment.

One statement reads the profiles and the purchase rows once each and writes, per customer,
only what some segment needs: days since the last purchase, the RFM window's frequency and
spend, one column per purchase aggregate and category test the rules use, and the profile
attributes the rules compare. Recency buckets, RFM segments (from four cut points per metric,
fetched once) and every rule are then expressions over that table, so a segment costs one scan
of a narrow table instead of a scan of the profiles plus its own joins.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    case,
    false,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.ddl import CreateTableAs

from segments.domain import recency, rfm
from segments.domain.rules import Attribute, Rule, attributes_read
from segments.rulesql import (
    PROFILES,
    PURCHASES,
    Measures,
    RuleCompiler,
    Scope,
    cut_points,
    score_above,
)
from segments.slices import Unlogged

FACTS = "segment_facts"
METRICS = ("recency", "frequency", "monetary")
# The profile columns behind each attribute a rule may compare.
_ATTRIBUTE_COLUMNS = {
    "city": ("city",),
    "tier": ("tier",),
    "time_zone": ("time_zone",),
    "birthday": ("birthday_doy", "time_zone"),
    "last_engagement": ("last_engaged_at",),
    "cart_total": ("cart_total",),
    "days_since_last_purchase": (),
}


@dataclass
class FactsTable:
    table: Table
    measures: Measures
    rfm_start: datetime
    cuts: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def c(self) -> Any:
        return self.table.c


def profile_columns(rules: Sequence[Rule]) -> list[str]:
    wanted: set[str] = set()
    for rule in rules:
        for attribute in attributes_read(rule):
            wanted.update(_columns_of(attribute))
    return sorted(wanted)


def _columns_of(attribute: Attribute) -> tuple[str, ...]:
    if attribute.name == "subscribed":
        return (f"sub_{attribute.value}",)
    return _ATTRIBUTE_COLUMNS[attribute.name]


def facts_query(
    scope: Scope, measures: Measures, rfm_start: datetime, columns: Sequence[str]
) -> Select[Any]:
    p = PURCHASES.c
    in_window = p.purchased_at >= rfm_start
    bought_rows = select(
        p.customer_id,
        func.count().filter(in_window).label("rfm_frequency"),
        func.sum(p.net_amount).filter(in_window).label("rfm_monetary"),
        *measures.purchase_columns(scope),
    ).where(p.net_amount > 0)
    bought = scope.narrow(bought_rows, p.customer_id).group_by(p.customer_id).subquery("bought")
    profile = PROFILES.c
    days = scope.today_day(profile.time_zone) - profile.last_purchase_day
    outputs: list[Any] = [
        profile.customer_id,
        days.label("days"),
        (profile.last_purchase_at < rfm_start).label("before_rfm_window"),
        *(profile[name] for name in columns),
        *(column for column in bought.c if column.key != "customer_id"),
    ]
    joined = PROFILES.outerjoin(bought, bought.c.customer_id == profile.customer_id)
    categories = measures.category_rows(scope)
    if categories is not None:
        joined = joined.outerjoin(categories, categories.c.customer_id == profile.customer_id)
        flags = [column for column in categories.c if column.key != "customer_id"]
        outputs += [func.coalesce(flag, false()).label(flag.key) for flag in flags]
    return scope.narrow(select(*outputs).select_from(joined), profile.customer_id)


async def build(
    session: AsyncSession,
    scope: Scope,
    rules: Sequence[Rule],
    rfm_window_days: int,
    name: str = FACTS,
    temporary: bool = True,
) -> FactsTable:
    """Writes the facts of ``scope``'s customers: a temporary table (this connection only), or
    an unlogged one that the other connections of a sliced recompute can read."""
    measures = Measures(rules)
    rfm_start = scope.now - timedelta(days=rfm_window_days)
    query = facts_query(scope, measures, rfm_start, profile_columns(rules))
    await drop(session, name)
    create = CreateTableAs(query, name, temporary=True) if temporary else Unlogged(query, name)
    await session.execute(create)
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text(f"ANALYZE {name}"))
    return FactsTable(create.table, measures, rfm_start)


async def drop(session: AsyncSession, name: str = FACTS) -> None:
    await session.execute(text(f"DROP TABLE IF EXISTS {name}"))


def _goodness(c: Any) -> dict[str, Any]:
    """Each RFM metric oriented so that more is better."""
    return {"recency": -c.days, "frequency": c.rfm_frequency, "monetary": c.rfm_monetary}


async def add_rfm_cuts(session: AsyncSession, tables: Sequence[FactsTable]) -> None:
    """The values at positions ceil(k * n / 5) of each sorted metric, k = 1..4, over the
    customers of every table, kept on each table."""
    parts = [
        select(*(value.label(name) for name, value in _goodness(t.c).items())).where(
            t.c.rfm_frequency > 0
        )
        for t in tables
    ]
    scored = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("scored")
    cuts = await _cuts(session, scored)
    for table in tables:
        table.cuts = cuts


async def _cuts(session: AsyncSession, scored: Any) -> dict[str, list[Any]]:
    metrics = scored.c
    if session.get_bind().dialect.name == "postgresql":
        query = select(*(cut_points(metrics[name]).label(name) for name in METRICS))
        row = (await session.execute(query)).one()
        return {name: list(row._mapping[name] or []) for name in METRICS}
    scored_count = (await session.execute(select(func.count()).select_from(scored))).scalar_one()
    cuts: dict[str, list[Any]] = {}
    for name in METRICS:
        values = []
        for k in range(1, 5):
            position = max(1, math.ceil(k * scored_count / 5))
            ordered = select(metrics[name]).order_by(metrics[name])
            value = (await session.execute(ordered.offset(position - 1).limit(1))).scalar()
            values.append(value)
        cuts[name] = values
    return cuts


def recency_bucket(days: Any, is_never: ColumnElement[bool], edges: Sequence[int]) -> Any:
    whens: list[tuple[Any, str]] = [(is_never, recency.NEVER_BOUGHT)]
    buckets = recency.buckets(edges)
    whens += [(days <= b.max_days, b.segment_id) for b in buckets if b.max_days is not None]
    return case(*whens, else_=buckets[-1].segment_id)


def rfm_segment(facts: FactsTable) -> Any:
    """The named RFM segment id, or NULL for a customer who never bought."""
    if not all(facts.cuts.get(name) for name in METRICS):
        return case((facts.c.before_rfm_window.is_(True), rfm.PREFIX + "lost"), else_=None)
    metrics = _goodness(facts.c)
    scores = {name: score_above(metrics[name], facts.cuts[name]) for name in METRICS}
    cell = scores["recency"] * 10 + (scores["frequency"] + scores["monetary"]) // 2
    named = case(
        {r * 10 + fm: rfm.PREFIX + name for r, row in rfm.GRID.items() for fm, name in _cells(row)},
        value=cell,
        else_=rfm.PREFIX + "lost",
    )
    c = facts.c
    return case(
        (c.rfm_frequency > 0, named),
        (c.before_rfm_window.is_(True), rfm.PREFIX + "lost"),
        else_=None,
    )


def _cells(row: Sequence[str]) -> list[tuple[int, str]]:
    return list(enumerate(row, start=1))


def desired_memberships(
    facts: FactsTable,
    scope: Scope,
    edges: Sequence[int],
    rules: Mapping[str, Rule],
) -> Select[Any]:
    """(segment_id, customer_id) for every recency bucket, RFM segment and rule, in one query."""
    c = facts.c
    bucket = recency_bucket(c.days, c.days.is_(None), edges)
    named_rfm = rfm_segment(facts)
    inline: dict[str, ColumnElement[bool]] = {s: bucket == s for s in recency.SEGMENT_IDS}
    inline.update({s: func.coalesce(named_rfm == s, false()) for s in rfm.SEGMENT_IDS})
    compiler = RuleCompiler(scope, facts.table, facts.measures, inline)
    parts: list[Any] = [
        select(bucket.label("segment_id"), c.customer_id),
        select(named_rfm.label("segment_id"), c.customer_id).where(named_rfm.is_not(None)),
    ]
    for segment_id, rule in rules.items():
        condition = compiler.condition(rule)
        inline[segment_id] = condition
        parts.append(
            select(literal(segment_id).label("segment_id"), c.customer_id).where(condition)
        )
    return parts[0].union_all(*parts[1:])
