"""Compiles rule trees and the built-in segments into SQL (PostgreSQL and SQLite alike).

Every condition compiles to a definite boolean (never NULL), so ``not`` is a true complement.
Aggregates become semi-joins on grouped purchases; when the comparison also holds for a
customer with no purchases at all (``purchase_count < 2``), it becomes an anti-join instead.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Numeric,
    Select,
    and_,
    case,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects import postgresql

from segments.domain import rfm
from segments.domain.days import local_day, local_day_of_year
from segments.domain.rules import (
    Aggregate,
    AllOf,
    AnyOf,
    Attribute,
    BoughtCategory,
    InSegment,
    Negation,
    Rule,
    Window,
)
from segments.domain.windows import window_range
from segments.models import (
    CustomerProfile,
    Membership,
    Purchase,
    PurchaseCategory,
    table_of,
)

PROFILES = table_of(CustomerProfile)
PURCHASES = table_of(Purchase)
CATEGORIES = table_of(PurchaseCategory)
MEMBERSHIPS = table_of(Membership)


@dataclass(frozen=True)
class Slice:
    """One of disjoint ranges of customer ids: from ``low`` (inclusive) to ``high``."""

    index: int
    low: str | None = None
    high: str | None = None

    def contains(self, customer_column: Any) -> ColumnElement[bool]:
        # A range on the id, not a hash of it: the planner estimates a range from the column's
        # statistics, and a hash as a constant 0.5 % of the rows (then picks sorts over hashes).
        bounds = []
        if self.low is not None:
            bounds.append(customer_column >= self.low)
        if self.high is not None:
            bounds.append(customer_column < self.high)
        return and_(true(), *bounds)


@dataclass(frozen=True)
class Scope:
    """When the rules are evaluated, over which zones, and optionally for some customers (those
    of an event or a batch of events) or for one slice of the customers (PostgreSQL only)."""

    now: datetime
    time_zones: Sequence[str]
    customers: Sequence[str] | None = None
    slice: Slice | None = None

    def of_slice(self, part: Slice | None) -> "Scope":
        return replace(self, slice=part)

    def per_zone(self, value_of: Any, zone_column: Any = None) -> ColumnElement[int]:
        """One value per zone, as a CASE over the few zones that differ from UTC right now."""
        zone_column = PROFILES.c.time_zone if zone_column is None else zone_column
        utc = value_of(self.now, "UTC")
        differing: dict[int, list[str]] = {}
        for tz in self.time_zones:
            value = value_of(self.now, tz)
            if value != utc:
                differing.setdefault(value, []).append(tz)
        if not differing:
            return literal(utc)
        whens = [(zone_column.in_(zones), value) for value, zones in differing.items()]
        return case(*whens, else_=literal(utc))

    def today_day(self, zone_column: Any = None) -> ColumnElement[int]:
        return self.per_zone(local_day, zone_column)

    def narrow(self, query: Select[Any], customer_column: Any) -> Select[Any]:
        if self.customers is not None:
            query = query.where(customer_column.in_(self.customers))
        if self.slice is not None:
            query = query.where(self.slice.contains(customer_column))
        return query


def _definite(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return func.coalesce(condition, false())


def compare(expr: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "between":
        return expr.between(value[0], value[1])
    operators = {
        "eq": expr.__eq__,
        "ne": expr.__ne__,
        "lt": expr.__lt__,
        "lte": expr.__le__,
        "gt": expr.__gt__,
        "gte": expr.__ge__,
    }
    return operators[op](value)


def holds_for_zero(op: str, value: Any) -> bool:
    if op == "between":
        return bool(value[0] <= 0 <= value[1])
    checks = {
        "eq": value == 0,
        "ne": value != 0,
        "lt": value > 0,
        "lte": value >= 0,
        "gt": value < 0,
        "gte": value <= 0,
    }
    return checks[op]


class RuleCompiler:
    """Rules as boolean SQL over ``rows``: the profiles, or a narrow table of per-customer facts.

    ``facts`` names, for a facts table, the column holding each purchase aggregate and category
    test; without it aggregates are semi-joins on the purchase rows. A segment condition reads
    ``inline`` when the segment is evaluated in the same pass (its condition, or its bucket),
    and the stored memberships otherwise.
    """

    def __init__(
        self,
        scope: Scope,
        rows: Any = PROFILES,
        facts: "Measures | None" = None,
        inline: Mapping[str, ColumnElement[bool]] | None = None,
    ) -> None:
        self.scope = scope
        self.rows = rows
        self.c = rows.c
        self.facts = facts
        self.inline = inline or {}

    def members(self, rule: Rule) -> Select[Any]:
        query = select(self.c.customer_id).where(self.condition(rule))
        return self.scope.narrow(query, self.c.customer_id)

    def condition(self, rule: Rule) -> ColumnElement[bool]:
        if isinstance(rule, AllOf):
            return and_(*(self.condition(item) for item in rule.items))
        if isinstance(rule, AnyOf):
            return or_(*(self.condition(item) for item in rule.items))
        if isinstance(rule, Negation):
            return not_(self.condition(rule.item))
        if isinstance(rule, Attribute):
            return self.attribute(rule)
        if isinstance(rule, Aggregate):
            return self.aggregate(rule)
        if isinstance(rule, BoughtCategory):
            return self.bought_category(rule)
        return self.in_segment(rule)

    def days_since_last_purchase(self) -> Any:
        if self.facts is not None:
            return self.c.days
        return self.scope.today_day(self.c.time_zone) - self.c.last_purchase_day

    def attribute(self, rule: Attribute) -> ColumnElement[bool]:
        name, op, value = rule.name, rule.op, rule.value
        if name == "subscribed":
            flag = self.c[f"sub_{value}"].is_(True)
            return flag if op == "contains" else not_(flag)
        if name == "birthday":
            today = self.scope.per_zone(local_day_of_year, self.c.time_zone)
            ahead = (self.c.birthday_doy - today + 366) % 366
            return _definite(and_(self.c.birthday_doy.is_not(None), ahead <= value))
        if name == "last_engagement":
            since = self.scope.now - timedelta(days=value)
            return _definite(self.c.last_engaged_at >= since)
        if name == "days_since_last_purchase":
            return _definite(compare(self.days_since_last_purchase(), op, value))
        column = self.c[name]
        if op in ("in", "not_in"):
            member = _definite(column.in_(value))
            return member if op == "in" else not_(member)
        if op == "ne" and name != "cart_total":
            return not_(_definite(column == value))
        return _definite(compare(column, op, value))

    def aggregate(self, rule: Aggregate) -> ColumnElement[bool]:
        if self.facts is not None:
            measured = func.coalesce(self.c[self.facts.column(rule)], 0)
            return _definite(compare(measured, rule.op, rule.value))
        p = PURCHASES.c
        metric = func.count() if rule.name == "purchase_count" else func.sum(p.net_amount)
        grouped = select(p.customer_id).where(p.net_amount > 0, *purchase_filter(rule, self.scope))
        grouped = self.scope.narrow(grouped, p.customer_id).group_by(p.customer_id)
        if holds_for_zero(rule.op, rule.value):
            failing = grouped.having(not_(compare(metric, rule.op, rule.value)))
            return self.c.customer_id.not_in(failing)
        return self.c.customer_id.in_(grouped.having(compare(metric, rule.op, rule.value)))

    def bought_category(self, rule: BoughtCategory) -> ColumnElement[bool]:
        if self.facts is not None:
            return self.c[self.facts.column(rule)].is_(True)
        c = CATEGORIES.c
        bought = select(c.customer_id).where(*category_filter(rule, self.scope))
        return self.c.customer_id.in_(self.scope.narrow(bought, c.customer_id))

    def in_segment(self, rule: InSegment) -> ColumnElement[bool]:
        inside = self.inline.get(rule.segment_id)
        if inside is None:
            m = MEMBERSHIPS.c
            members = select(m.customer_id).where(m.segment_id == rule.segment_id)
            inside = self.c.customer_id.in_(self.scope.narrow(members, m.customer_id))
        return inside if rule.member else not_(inside)


def window_filter(column: Any, window: Window, now: datetime) -> list[ColumnElement[bool]]:
    start, end = window_range(window, now)
    conditions = [column >= start] if start else []
    return conditions + ([column < end] if end else [])


def purchase_filter(rule: Aggregate, scope: Scope) -> list[ColumnElement[bool]]:
    """Which counted purchase rows an aggregate adds up (beyond ``net_amount > 0``)."""
    p = PURCHASES.c
    conditions = window_filter(p.purchased_at, rule.window, scope.now)
    if rule.channel:
        conditions.append(p.channel == rule.channel)
    if rule.store_id:
        conditions.append(p.store_id == rule.store_id)
    return conditions


def category_filter(rule: BoughtCategory, scope: Scope) -> list[ColumnElement[bool]]:
    c = CATEGORIES.c
    window = window_filter(c.purchased_at, rule.window, scope.now)
    return [c.category == rule.category, c.counted.is_(True), *window]


class Measures:
    """Every purchase aggregate and category test some rules use, one facts column each.

    Rules that ask the same question (purchases in the last 365 days) share a column; the
    comparison itself stays in the rule.
    """

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.aggregates: dict[tuple[Any, ...], tuple[str, Aggregate]] = {}
        self.categories: dict[tuple[Any, ...], tuple[str, BoughtCategory]] = {}
        for rule in rules:
            self._collect(rule)

    def _collect(self, rule: Rule) -> None:
        if isinstance(rule, AllOf | AnyOf):
            for item in rule.items:
                self._collect(item)
        elif isinstance(rule, Negation):
            self._collect(rule.item)
        elif isinstance(rule, Aggregate):
            key = _aggregate_key(rule)
            self.aggregates.setdefault(key, (f"agg_{len(self.aggregates)}", rule))
        elif isinstance(rule, BoughtCategory):
            key = (rule.category, rule.window)
            self.categories.setdefault(key, (f"cat_{len(self.categories)}", rule))

    def column(self, rule: Aggregate | BoughtCategory) -> str:
        if isinstance(rule, Aggregate):
            return self.aggregates[_aggregate_key(rule)][0]
        return self.categories[(rule.category, rule.window)][0]

    def purchase_columns(self, scope: Scope) -> list[Any]:
        p = PURCHASES.c
        columns = []
        for name, rule in self.aggregates.values():
            metric = func.count() if rule.name == "purchase_count" else func.sum(p.net_amount)
            conditions = purchase_filter(rule, scope)
            columns.append((metric.filter(and_(*conditions)) if conditions else metric).label(name))
        return columns

    def category_rows(self, scope: Scope) -> Any:
        """customer_id and one flag per category test, for customers who bought any of them."""
        if not self.categories:
            return None
        c = CATEGORIES.c
        flags = [
            (func.count().filter(and_(*category_filter(rule, scope))) > 0).label(name)
            for name, rule in self.categories.values()
        ]
        wanted = sorted({rule.category for _, rule in self.categories.values()})
        query = select(c.customer_id, *flags).where(c.category.in_(wanted), c.counted.is_(True))
        return scope.narrow(query, c.customer_id).group_by(c.customer_id).subquery("categories")


def _aggregate_key(rule: Aggregate) -> tuple[Any, ...]:
    return (rule.name, rule.window, rule.channel, rule.store_id)


def rfm_scores(scope: Scope, window_days: int, dialect: str = "postgresql") -> Select[Any]:
    """customer_id, recency, frequency, monetary, segment for every customer who ever bought.

    Both forms compute ``5 * (rank - 1) // n + 1``. PostgreSQL takes four cut points per metric
    with ``percentile_disc`` (a sort of plain numbers) and counts the cuts a value is above,
    which is the same score; SQLite ranks with window functions.
    """
    start = scope.now - timedelta(days=window_days)
    measured = _rfm_measures(scope, start).cte("measured")
    m = measured.c
    goodness = (-m.days, m.frequency, m.monetary)
    metrics = tuple(zip(("recency", "frequency", "monetary"), goodness, strict=True))
    if dialect == "postgresql":
        cuts = select(*(cut_points(value).label(name) for name, value in metrics)).subquery("cuts")
        columns = [
            score_above(value, [cuts.c[name][i] for i in range(1, 5)]).label(name)
            for name, value in metrics
        ]
        scored = select(m.customer_id, *columns).select_from(measured.join(cuts, true()))
    else:
        scored = select(m.customer_id, *(_quintile(value).label(name) for name, value in metrics))
    scored_sub = scored.subquery("s")
    s = scored_sub.c
    named = select(s.customer_id, s.recency, s.frequency, s.monetary, _named(s).label("segment"))
    before_window = select(
        PROFILES.c.customer_id, literal(1), literal(1), literal(1), literal("lost")
    ).where(PROFILES.c.last_purchase_at < start)
    return named.union_all(before_window)  # type: ignore[return-value]


def _rfm_measures(scope: Scope, start: datetime) -> Select[Any]:
    p = PURCHASES.c
    in_window = (
        select(
            p.customer_id,
            func.count().label("frequency"),
            func.sum(p.net_amount).label("monetary"),
        )
        .where(p.net_amount > 0, p.purchased_at >= start)
        .group_by(p.customer_id)
        .subquery("w")
    )
    days = (scope.today_day() - PROFILES.c.last_purchase_day).label("days")
    return select(in_window, days).join(PROFILES, PROFILES.c.customer_id == in_window.c.customer_id)


def cut_points(value: Any) -> Any:
    """The values at 20, 40, 60 and 80 % of the sorted metric (positions ceil(k * n / 5))."""
    fractions = postgresql.array([0.2, 0.4, 0.6, 0.8])
    return type_coerce(func.percentile_disc(fractions).within_group(value), ARRAY(Numeric))


def score_above(value: Any, cuts: Sequence[Any]) -> Any:
    """1 plus the number of cut points the value is strictly above."""
    total: Any = literal(1)
    for cut in cuts:
        total = total + case((value > cut, 1), else_=0)
    return total


def _quintile(order: Any) -> ColumnElement[int]:
    return 5 * (func.rank().over(order_by=order) - 1) // func.count().over() + 1


def _named(s: Any) -> ColumnElement[str]:
    fm = (s.frequency + s.monetary) // 2
    whens = [
        (and_(s.recency == r_score, fm == fm_score), name)
        for r_score, row in rfm.GRID.items()
        for fm_score, name in enumerate(row, start=1)
    ]
    return case(*whens, else_="lost")
