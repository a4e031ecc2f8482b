"""The statistics against published values and at the edges the Wald interval fails."""

import math
import random

import pytest

from orchestrator.stats import (
    cuped_adjust,
    cuped_theta,
    incremental_roi,
    mde_mean,
    mde_proportion,
    moments,
    t_quantile,
    uplift,
    welch,
    wilson,
)


def test_newcombe_hybrid_score_matches_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 against 48/80.
    lift = uplift(56, 70, 48, 80)
    assert lift is not None
    assert (lift.ci95_low, lift.ci95_high) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    assert lift.relative == pytest.approx(0.2 / 0.6, abs=1e-6)


def test_the_interval_keeps_its_width_at_zero_and_at_one_hundred_percent() -> None:
    for rate in (0, 10):
        lift = uplift(rate, 10, rate, 10)
        assert lift is not None and lift.difference == 0
        assert lift.ci95_low < -0.2 and lift.ci95_high > 0.2


def test_one_holdout_member_stays_inside_minus_one_and_one() -> None:
    lift = uplift(5, 10, 1, 1)
    assert lift is not None
    assert -1 <= lift.ci95_low < lift.difference < lift.ci95_high <= 1
    assert uplift(0, 0, 1, 1) is None and uplift(1, 1, 0, 0) is None


def test_wilson_bounds() -> None:
    assert wilson(0, 10) == pytest.approx((0.0, 0.27753), abs=1e-5)
    assert wilson(1, 1)[1] == 1.0


def test_t_quantiles_against_tables() -> None:
    for df, exact in ((5, 2.570582), (10, 2.228139), (30, 2.042272), (1e9, 1.959964)):
        assert t_quantile(0.975, df) == pytest.approx(exact, abs=3e-4)
    assert t_quantile(0.975, 3) == pytest.approx(3.182446, abs=5e-3)


def test_welch_interval_matches_a_hand_computed_one() -> None:
    # var 2.5 / 5 and 14 / 6: se = sqrt(0.5 + 7/3), Welch-Satterthwaite df = 6.97, t = 2.3666.
    found = welch(moments([1, 2, 3, 4, 5]), moments([2, 4, 6, 8, 10, 12]))
    assert found is not None
    assert found.difference == -4.0
    assert found.standard_error == pytest.approx(math.sqrt(0.5 + 7 / 3), abs=1e-6)
    assert (found.ci95_low, found.ci95_high) == pytest.approx((-7.983, -0.017), abs=2e-3)


def test_welch_gives_no_interval_with_one_holdout_member() -> None:
    found = welch(moments([1, 2, 3]), moments([5]))
    assert found is not None and found.difference == -3.0
    assert (found.ci95_low, found.ci95_high) == (None, None)
    assert welch(moments([]), moments([1, 2])) is None


def test_cuped_keeps_the_difference_and_narrows_the_interval() -> None:
    rng = random.Random(7)
    pre = [rng.gauss(100, 30) for _ in range(2000)]
    outcome = [0.8 * x + rng.gauss(0, 10) + (5 if i < 1000 else 0) for i, x in enumerate(pre)]
    theta = cuped_theta(outcome, pre)
    assert theta == pytest.approx(0.8, abs=0.05)
    adjusted = cuped_adjust(outcome, pre, theta)
    plain = welch(moments(outcome[:1000]), moments(outcome[1000:]))
    reduced = welch(moments(adjusted[:1000]), moments(adjusted[1000:]))
    assert plain is not None and reduced is not None
    assert reduced.difference == pytest.approx(5, abs=1.5)
    assert reduced.standard_error is not None and plain.standard_error is not None
    assert reduced.standard_error < plain.standard_error / 2
    assert cuped_theta([1.0, 2.0], [3.0, 3.0]) == 0.0  # a constant covariate adjusts nothing


def test_minimum_detectable_effects() -> None:
    # 2.8 standard errors: p = 0.1, n = 900 and 100 -> se = 0.03162.
    assert mde_proportion(0.1, 900, 100) == pytest.approx(2.8016 * 0.031623, abs=1e-4)
    assert mde_proportion(0.1, 0, 100) is None
    assert mde_mean(moments([1, 3]), moments([2, 4])) == pytest.approx(
        2.8016 * math.sqrt(2), abs=1e-4
    )
    assert mde_mean(moments([1, 3]), moments([2])) is None


def test_incremental_roi_counts_margin_and_cost() -> None:
    assert incremental_roi(0, 10_000, 200_900) == -1.0
    assert incremental_roi(30_000, 5_000, 10_000) == 0.5
    assert incremental_roi(1_000, 10_000, 0) is None
