"""Uplift of the treated group over the holdout, with a 95 % confidence interval.

The difference of two conversion rates with the normal (Wald) approximation:
d = p_t - p_h, se = sqrt(p_t(1-p_t)/n_t + p_h(1-p_h)/n_h), CI = d +/- 1.96 se.
Fine for the group sizes chains reach; with a handful of holdout members the interval is wide,
which is the honest answer.
"""

import math
from dataclasses import dataclass

Z_95 = 1.959964


@dataclass(frozen=True)
class Uplift:
    treated_rate: float
    holdout_rate: float
    difference: float
    ci95_low: float
    ci95_high: float
    relative: float | None  # difference / holdout rate


def uplift(
    converted_treated: int, treated: int, converted_holdout: int, holdout: int
) -> Uplift | None:
    if treated == 0 or holdout == 0:
        return None
    p_t, p_h = converted_treated / treated, converted_holdout / holdout
    difference = p_t - p_h
    se = math.sqrt(p_t * (1 - p_t) / treated + p_h * (1 - p_h) / holdout)
    return Uplift(
        treated_rate=round(p_t, 6),
        holdout_rate=round(p_h, 6),
        difference=round(difference, 6),
        ci95_low=round(difference - Z_95 * se, 6),
        ci95_high=round(difference + Z_95 * se, 6),
        relative=round(difference / p_h, 6) if p_h else None,
    )


def roi(revenue: int, cost: int) -> float | None:
    """(attributed revenue - cost) / cost; undefined without cost."""
    return round((revenue - cost) / cost, 6) if cost else None
