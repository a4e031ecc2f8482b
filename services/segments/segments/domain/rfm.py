"""RFM scores and the named segments they map to.

Scores are quintiles among the customers who bought within the trailing window: a customer's
score for a metric is ``5 * (rank - 1) // n + 1`` where ``rank`` is the SQL ``rank()`` of the
metric in ascending goodness (ties share a rank, so equal values get equal scores) and ``n`` the
number of scored customers. Recency ranks fewer days as better; frequency and monetary rank more
as better. A customer who bought only before the window scores 1-1-1; one who never bought has
no RFM score.

The named segment comes from R and FM, the floor of the mean of F and M:

| R \\ FM | 1 | 2 | 3 | 4 | 5 |
|---|---|---|---|---|---|
| 5 | new | potential loyalists | potential loyalists | champions | champions |
| 4 | promising | potential loyalists | potential loyalists | loyal | champions |
| 3 | about to sleep | about to sleep | need attention | loyal | loyal |
| 2 | hibernating | hibernating | at risk | at risk | cannot lose |
| 1 | lost | lost | at risk | cannot lose | cannot lose |
"""

NAMES = {
    "champions": "Champions",
    "loyal": "Loyal",
    "potential_loyalists": "Potential loyalists",
    "new": "New customers",
    "promising": "Promising",
    "need_attention": "Need attention",
    "about_to_sleep": "About to sleep",
    "at_risk": "At risk",
    "cannot_lose": "Cannot lose them",
    "hibernating": "Hibernating",
    "lost": "Lost",
}
PREFIX = "rfm."
SEGMENT_IDS = tuple(PREFIX + key for key in NAMES)

GRID: dict[int, tuple[str, str, str, str, str]] = {
    5: ("new", "potential_loyalists", "potential_loyalists", "champions", "champions"),
    4: ("promising", "potential_loyalists", "potential_loyalists", "loyal", "champions"),
    3: ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),
    2: ("hibernating", "hibernating", "at_risk", "at_risk", "cannot_lose"),
    1: ("lost", "lost", "at_risk", "cannot_lose", "cannot_lose"),
}


def quintile(rank: int, scored: int) -> int:
    return 5 * (rank - 1) // scored + 1


def fm_score(frequency: int, monetary: int) -> int:
    return (frequency + monetary) // 2


def named_segment(recency: int, frequency: int, monetary: int) -> str:
    return GRID[recency][fm_score(frequency, monetary) - 1]
