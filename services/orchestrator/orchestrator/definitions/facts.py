"""Deterministic, pure decisions on chain data: holdout draws and attribute tests."""

import hashlib
from typing import Any

HOLDOUT_SCALE = 10_000


def in_holdout(chain_id: str, customer_id: str, share: float) -> bool:
    """The same customer always lands on the same side of the same chain."""
    digest = hashlib.sha256(f"holdout:{chain_id}:{customer_id}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % HOLDOUT_SCALE
    return bucket < round(share * HOLDOUT_SCALE)


def lookup(facts: dict[str, Any], dotted: str) -> Any:
    value: Any = facts
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def compare(actual: Any, op: str, expected: Any) -> bool:
    if op == "exists":
        return actual is not None
    if actual is None:
        return op == "ne"
    try:
        return _COMPARISONS[op](actual, expected)
    except TypeError:
        return False


_COMPARISONS: dict[str, Any] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "in": lambda a, b: a in b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}
