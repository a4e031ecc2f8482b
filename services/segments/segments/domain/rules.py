"""The rule language marketers write, parsed into a small tree with precise errors.

A rule is a JSON object, one of:

- ``{"and": [rule, ...]}``, ``{"or": [rule, ...]}``, ``{"not": rule}``
- ``{"attribute": name, "op": op, "value": v}`` on the customer's attributes
- ``{"aggregate": "purchase_count" | "spend", "window": w, "op": op, "value": n}``, optionally
  narrowed by ``"channel": "online" | "offline"`` and ``"store_id"``
- ``{"bought_category": name, "window": w}``
- ``{"segment": id, "op": "in" | "not_in"}``

A window is ``{"days": n}`` (the last n days), ``{"period": p}`` (a calendar period in UTC) or
absent (all time). Every problem is reported with its JSON path and the reason.
"""

from dataclasses import dataclass
from typing import Any, Literal

Compare = Literal["eq", "ne", "lt", "lte", "gt", "gte", "between"]
COMPARE_OPS: tuple[str, ...] = ("eq", "ne", "lt", "lte", "gt", "gte", "between")
TEXT_OPS: tuple[str, ...] = ("eq", "ne", "in", "not_in")
TEXT_ATTRIBUTES = ("city", "tier", "time_zone")
NUMBER_ATTRIBUTES = ("days_since_last_purchase", "cart_total")
WITHIN_ATTRIBUTES = ("birthday", "last_engagement")
CHANNELS = ("email", "sms", "push", "messenger")
PERIODS = (
    "current_month",
    "previous_month",
    "current_quarter",
    "previous_quarter",
    "current_year",
    "previous_year",
)
AGGREGATES = ("purchase_count", "spend")
MAX_DEPTH = 16
MAX_ITEMS = 100
MAX_VALUES = 1000


@dataclass(frozen=True)
class Window:
    days: int | None = None
    period: str | None = None


@dataclass(frozen=True)
class AllOf:
    items: tuple["Rule", ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple["Rule", ...]


@dataclass(frozen=True)
class Negation:
    item: "Rule"


@dataclass(frozen=True)
class Attribute:
    name: str
    op: str
    value: Any


@dataclass(frozen=True)
class Aggregate:
    name: str
    window: Window
    op: str
    value: Any
    channel: str | None = None
    store_id: str | None = None


@dataclass(frozen=True)
class BoughtCategory:
    category: str
    window: Window


@dataclass(frozen=True)
class InSegment:
    segment_id: str
    member: bool
    path: str


Rule = AllOf | AnyOf | Negation | Attribute | Aggregate | BoughtCategory | InSegment


@dataclass(frozen=True)
class RuleError:
    path: str
    reason: str


class RuleErrors(Exception):
    def __init__(self, errors: list[RuleError]) -> None:
        super().__init__("; ".join(f"{e.path}: {e.reason}" for e in errors))
        self.errors = errors


def parse(definition: Any) -> Rule:
    """The rule tree, or ``RuleErrors`` naming every problem found."""
    errors: list[RuleError] = []
    rule = _Parser(errors).rule(definition, "$", 0)
    if errors or rule is None:
        raise RuleErrors(errors or [RuleError("$", "the rule is empty")])
    return rule


def segment_references(rule: Rule) -> list[InSegment]:
    if isinstance(rule, AllOf | AnyOf):
        return [ref for item in rule.items for ref in segment_references(item)]
    if isinstance(rule, Negation):
        return segment_references(rule.item)
    return [rule] if isinstance(rule, InSegment) else []


# What a rule can read, by the name of the input that events change (see ``events.CHANGES``).
PURCHASES = "purchases"
_ATTRIBUTE_INPUTS = {"days_since_last_purchase": PURCHASES, "last_engagement": "engagement"}


def inputs_read(rule: Rule) -> frozenset[str]:
    """The inputs a rule reads directly; segment conditions read that segment's inputs."""
    if isinstance(rule, AllOf | AnyOf):
        return frozenset().union(*(inputs_read(item) for item in rule.items))
    if isinstance(rule, Negation):
        return inputs_read(rule.item)
    if isinstance(rule, Attribute):
        return frozenset({_ATTRIBUTE_INPUTS.get(rule.name, rule.name)})
    if isinstance(rule, Aggregate | BoughtCategory):
        return frozenset({PURCHASES})
    return frozenset()


def attributes_read(rule: Rule) -> list[Attribute]:
    if isinstance(rule, AllOf | AnyOf):
        return [found for item in rule.items for found in attributes_read(item)]
    if isinstance(rule, Negation):
        return attributes_read(rule.item)
    return [rule] if isinstance(rule, Attribute) else []


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Parser:
    def __init__(self, errors: list[RuleError]) -> None:
        self.errors = errors

    def fail(self, path: str, reason: str) -> None:
        self.errors.append(RuleError(path, reason))

    def rule(self, node: Any, path: str, depth: int) -> Rule | None:
        if depth > MAX_DEPTH:
            self.fail(path, f"rules nest at most {MAX_DEPTH} deep")
            return None
        if not isinstance(node, dict):
            self.fail(path, "expected an object")
            return None
        kinds = [k for k in ("and", "or", "not", *_LEAVES) if k in node]
        if len(kinds) != 1:
            expected = "one of and, or, not, attribute, aggregate, bought_category, segment"
            self.fail(path, f"expected exactly one of: {expected}")
            return None
        kind = kinds[0]
        if kind in ("and", "or"):
            return self.group(node, kind, path, depth)
        if kind == "not":
            self.only(node, {"not"}, path)
            inner = self.rule(node["not"], f"{path}.not", depth + 1)
            return Negation(inner) if inner else None
        return getattr(self, _LEAVES[kind])(node, path)

    def only(self, node: dict[str, Any], allowed: set[str], path: str) -> None:
        for key in sorted(set(node) - allowed):
            self.fail(f"{path}.{key}", "unknown field")

    def group(self, node: dict[str, Any], kind: str, path: str, depth: int) -> Rule | None:
        self.only(node, {kind}, path)
        items = node[kind]
        if not isinstance(items, list) or not items:
            self.fail(f"{path}.{kind}", "expected a non-empty list of rules")
            return None
        if len(items) > MAX_ITEMS:
            self.fail(f"{path}.{kind}", f"at most {MAX_ITEMS} rules")
            return None
        parsed = [self.rule(item, f"{path}.{kind}[{i}]", depth + 1) for i, item in enumerate(items)]
        rules = tuple(r for r in parsed if r is not None)
        if len(rules) != len(parsed):
            return None
        return AllOf(rules) if kind == "and" else AnyOf(rules)

    def attribute(self, node: dict[str, Any], path: str) -> Rule | None:
        self.only(node, {"attribute", "op", "value"}, path)
        name, op, value = node["attribute"], node.get("op"), node.get("value")
        known = (*TEXT_ATTRIBUTES, *NUMBER_ATTRIBUTES, *WITHIN_ATTRIBUTES, "subscribed")
        if name not in known:
            self.fail(f"{path}.attribute", f"unknown attribute; one of {', '.join(known)}")
            return None
        before = len(self.errors)
        if name in TEXT_ATTRIBUTES:
            self.text_condition(op, value, path)
        elif name in NUMBER_ATTRIBUTES:
            self.number_condition(op, value, path)
        elif name in WITHIN_ATTRIBUTES:
            self.within_condition(op, value, path)
        else:
            self.channel_condition(op, value, path)
        return Attribute(name, str(op), value) if len(self.errors) == before else None

    def text_condition(self, op: Any, value: Any, path: str) -> None:
        if op not in TEXT_OPS:
            self.fail(f"{path}.op", f"expected one of {', '.join(TEXT_OPS)}")
        elif op in ("in", "not_in"):
            if not isinstance(value, list) or not value or len(value) > MAX_VALUES:
                self.fail(f"{path}.value", f"expected a list of 1 to {MAX_VALUES} strings")
            elif not all(isinstance(v, str) for v in value):
                self.fail(f"{path}.value", "every value must be a string")
        elif not isinstance(value, str):
            self.fail(f"{path}.value", "expected a string")

    def number_condition(self, op: Any, value: Any, path: str) -> None:
        if op not in COMPARE_OPS:
            self.fail(f"{path}.op", f"expected one of {', '.join(COMPARE_OPS)}")
        elif op == "between":
            pair_ok = isinstance(value, list) and len(value) == 2 and all(map(_is_int, value))
            if not pair_ok:
                self.fail(f"{path}.value", "expected [low, high], two integers")
            elif value[0] > value[1]:
                self.fail(f"{path}.value", "low must not exceed high")
        elif not _is_int(value):
            self.fail(f"{path}.value", "expected an integer")

    def within_condition(self, op: Any, value: Any, path: str) -> None:
        if op != "within_days":
            self.fail(f"{path}.op", "expected within_days")
        elif not _is_int(value) or not 0 <= value <= 366:
            self.fail(f"{path}.value", "expected a number of days from 0 to 366")

    def channel_condition(self, op: Any, value: Any, path: str) -> None:
        if op not in ("contains", "not_contains"):
            self.fail(f"{path}.op", "expected contains or not_contains")
        elif value not in CHANNELS:
            self.fail(f"{path}.value", f"expected one of {', '.join(CHANNELS)}")

    def aggregate(self, node: dict[str, Any], path: str) -> Rule | None:
        allowed = {"aggregate", "window", "op", "value", "channel", "store_id"}
        self.only(node, allowed, path)
        before = len(self.errors)
        if node["aggregate"] not in AGGREGATES:
            self.fail(f"{path}.aggregate", f"expected one of {', '.join(AGGREGATES)}")
        window = self.window(node.get("window"), f"{path}.window")
        self.number_condition(node.get("op"), node.get("value"), path)
        channel, store_id = node.get("channel"), node.get("store_id")
        if channel is not None and channel not in ("online", "offline"):
            self.fail(f"{path}.channel", "expected online or offline")
        if store_id is not None and not isinstance(store_id, str):
            self.fail(f"{path}.store_id", "expected a string")
        if len(self.errors) != before or window is None:
            return None
        op, value = node["op"], node["value"]
        return Aggregate(node["aggregate"], window, op, value, channel, store_id)

    def bought_category(self, node: dict[str, Any], path: str) -> Rule | None:
        self.only(node, {"bought_category", "window"}, path)
        category = node["bought_category"]
        window = self.window(node.get("window"), f"{path}.window")
        if not isinstance(category, str) or not category:
            self.fail(f"{path}.bought_category", "expected a category name")
            return None
        return BoughtCategory(category, window) if window else None

    def segment(self, node: dict[str, Any], path: str) -> Rule | None:
        self.only(node, {"segment", "op"}, path)
        segment_id, op = node["segment"], node.get("op", "in")
        if not isinstance(segment_id, str) or not segment_id:
            self.fail(f"{path}.segment", "expected a segment id")
            return None
        if op not in ("in", "not_in"):
            self.fail(f"{path}.op", "expected in or not_in")
            return None
        return InSegment(segment_id, op == "in", f"{path}.segment")

    def window(self, node: Any, path: str) -> Window | None:
        if node is None:
            return Window()
        if not isinstance(node, dict) or len(node) != 1 or not {"days", "period"} & set(node):
            self.fail(path, 'expected {"days": n} or {"period": name}')
            return None
        if "days" in node:
            if not _is_int(node["days"]) or not 1 <= node["days"] <= 3660:
                self.fail(f"{path}.days", "expected a number of days from 1 to 3660")
                return None
            return Window(days=node["days"])
        if node["period"] not in PERIODS:
            self.fail(f"{path}.period", f"expected one of {', '.join(PERIODS)}")
            return None
        return Window(period=node["period"])


_LEAVES = {
    "attribute": "attribute",
    "aggregate": "aggregate",
    "bought_category": "bought_category",
    "segment": "segment",
}
