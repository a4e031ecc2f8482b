"""Recency buckets by whole local days since the last purchase; never bought is its own."""

from collections.abc import Sequence
from dataclasses import dataclass

NEVER_BOUGHT = "recency.never_bought"


@dataclass(frozen=True)
class Bucket:
    segment_id: str
    name: str
    min_days: int | None  # inclusive; None: no lower bound (a clock-skewed future purchase)
    max_days: int | None  # inclusive; None: no upper bound


KEYS = (
    ("recency.active", "Active"),
    ("recency.cooling", "Cooling"),
    ("recency.sleeping", "Sleeping"),
    ("recency.at_risk", "At risk"),
    ("recency.lost", "Lost"),
)
SEGMENT_IDS = (*(key for key, _ in KEYS), NEVER_BOUGHT)
NAMES = {**dict(KEYS), NEVER_BOUGHT: "Never bought"}


def buckets(edges: Sequence[int]) -> list[Bucket]:
    """``edges`` are the first days of cooling, sleeping, at risk and lost."""
    lows: list[int | None] = [None, *edges]
    highs: list[int | None] = [edge - 1 for edge in edges] + [None]
    return [
        Bucket(key, name, low, high)
        for (key, name), low, high in zip(KEYS, lows, highs, strict=True)
    ]


def bucket_of(days_since: int | None, edges: Sequence[int]) -> str:
    if days_since is None:
        return NEVER_BOUGHT
    for bucket in buckets(edges):
        if bucket.max_days is None or days_since <= bucket.max_days:
            return bucket.segment_id
    raise AssertionError("the last bucket has no upper bound")
