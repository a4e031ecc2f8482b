"""Compiles rule trees and the built-in segments into SQL (PostgreSQL and SQLite alike).

Every condition compiles to a definite boolean (never NULL), so ``not`` is a true complement.
Aggregates become semi-joins on grouped purchases; when the comparison also holds for a
customer with no purchases at all (``purchase_count < 2``), it becomes an anti-join instead.
"""

from collections.abc import Sequence
from dataclasses import dataclass
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

from segments.domain import recency, rfm
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
class Scope:
    """When the rules are evaluated, over which zones, and optionally for one customer."""

    now: datetime
    time_zones: Sequence[str]
    customer_id: str | None = None

    def per_zone(self, value_of: Any) -> ColumnElement[int]:
        """One value per zone, as a CASE over the few zones that differ from UTC right now."""
        utc = value_of(self.now, "UTC")
        differing: dict[int, list[str]] = {}
        for tz in self.time_zones:
            value = value_of(self.now, tz)
            if value != utc:
                differing.setdefault(value, []).append(tz)
        if not differing:
            return literal(utc)
        whens = [(PROFILES.c.time_zone.in_(zones), value) for value, zones in differing.items()]
        return case(*whens, else_=literal(utc))

    def today_day(self) -> ColumnElement[int]:
        return self.per_zone(local_day)

    def narrow(self, query: Select[Any], customer_column: Any) -> Select[Any]:
        return (
            query if self.customer_id is None else query.where(customer_column == self.customer_id)
        )


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
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def members(self, rule: Rule) -> Select[Any]:
        query = select(PROFILES.c.customer_id).where(self.condition(rule))
        return self.scope.narrow(query, PROFILES.c.customer_id)

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

    def attribute(self, rule: Attribute) -> ColumnElement[bool]:
        name, op, value = rule.name, rule.op, rule.value
        if name == "subscribed":
            flag = PROFILES.c[f"sub_{value}"].is_(True)
            return flag if op == "contains" else not_(flag)
        if name == "birthday":
            today = self.scope.per_zone(local_day_of_year)
            ahead = (PROFILES.c.birthday_doy - today + 366) % 366
            return _definite(and_(PROFILES.c.birthday_doy.is_not(None), ahead <= value))
        if name == "last_engagement":
            since = self.scope.now - timedelta(days=value)
            return _definite(PROFILES.c.last_engaged_at >= since)
        if name == "days_since_last_purchase":
            days = self.scope.today_day() - PROFILES.c.last_purchase_day
            return _definite(compare(days, op, value))
        column = PROFILES.c[name]
        if op in ("in", "not_in"):
            member = _definite(column.in_(value))
            return member if op == "in" else not_(member)
        if op == "ne" and name != "cart_total":
            return not_(_definite(column == value))
        return _definite(compare(column, op, value))

    def aggregate(self, rule: Aggregate) -> ColumnElement[bool]:
        p = PURCHASES.c
        metric = func.count() if rule.name == "purchase_count" else func.sum(p.net_amount)
        grouped = select(p.customer_id).where(
            p.net_amount > 0, *self._window(p.purchased_at, rule.window)
        )
        if rule.channel:
            grouped = grouped.where(p.channel == rule.channel)
        if rule.store_id:
            grouped = grouped.where(p.store_id == rule.store_id)
        grouped = self.scope.narrow(grouped, p.customer_id).group_by(p.customer_id)
        if holds_for_zero(rule.op, rule.value):
            failing = grouped.having(not_(compare(metric, rule.op, rule.value)))
            return PROFILES.c.customer_id.not_in(failing)
        return PROFILES.c.customer_id.in_(grouped.having(compare(metric, rule.op, rule.value)))

    def bought_category(self, rule: BoughtCategory) -> ColumnElement[bool]:
        c = CATEGORIES.c
        bought = select(c.customer_id).where(
            c.category == rule.category,
            c.counted.is_(True),
            *self._window(c.purchased_at, rule.window),
        )
        return PROFILES.c.customer_id.in_(self.scope.narrow(bought, c.customer_id))

    def in_segment(self, rule: InSegment) -> ColumnElement[bool]:
        m = MEMBERSHIPS.c
        members = select(m.customer_id).where(m.segment_id == rule.segment_id)
        inside = PROFILES.c.customer_id.in_(self.scope.narrow(members, m.customer_id))
        return inside if rule.member else not_(inside)

    def _window(self, column: Any, window: Window) -> list[ColumnElement[bool]]:
        start, end = window_range(window, self.scope.now)
        conditions = [column >= start] if start else []
        return conditions + ([column < end] if end else [])


def recency_memberships(scope: Scope, edges: Sequence[int]) -> Select[Any]:
    """(segment_id, customer_id) for every customer: exactly one recency bucket each."""
    days = scope.today_day() - PROFILES.c.last_purchase_day
    whens: list[tuple[Any, str]] = [(PROFILES.c.last_purchase_day.is_(None), recency.NEVER_BOUGHT)]
    buckets = recency.buckets(edges)
    whens += [(days <= b.max_days, b.segment_id) for b in buckets if b.max_days is not None]
    bucket = case(*whens, else_=buckets[-1].segment_id)
    query = select(bucket.label("segment_id"), PROFILES.c.customer_id)
    return scope.narrow(query, PROFILES.c.customer_id)


def rfm_memberships(scope: Scope, window_days: int, dialect: str = "postgresql") -> Select[Any]:
    """(segment_id, customer_id) of the named RFM segments, scored over everyone who bought."""
    scores = rfm_scores(scope, window_days, dialect).subquery("scores")
    return select(
        (literal(rfm.PREFIX) + scores.c.segment).label("segment_id"), scores.c.customer_id
    )


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
        cuts = select(*(_cut_points(value).label(name) for name, value in metrics)).subquery("cuts")
        columns = [_above(value, cuts.c[name]).label(name) for name, value in metrics]
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


def _cut_points(value: Any) -> Any:
    """The values at 20, 40, 60 and 80 % of the sorted metric (positions ceil(k * n / 5))."""
    fractions = postgresql.array([0.2, 0.4, 0.6, 0.8])
    return type_coerce(func.percentile_disc(fractions).within_group(value), ARRAY(Numeric))


def _above(value: Any, cuts: Any) -> ColumnElement[int]:
    """1 plus the number of cut points the value is strictly above."""
    above = [case((value > cuts[i], 1), else_=0) for i in range(1, 5)]
    return literal(1) + above[0] + above[1] + above[2] + above[3]


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
