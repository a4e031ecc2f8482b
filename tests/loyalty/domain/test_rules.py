from datetime import UTC, date, datetime

import pytest

from loyalty.domain.rules import ProgramRules, add_months, proportional

RULES = ProgramRules()


@pytest.mark.parametrize(
    ("spend", "tier"),
    [(0, "base"), (99_999, "base"), (100_000, "silver"), (299_999, "silver"), (300_000, "gold")],
)
def test_tiers_follow_the_trailing_spend(spend: int, tier: str) -> None:
    assert RULES.tier_for_spend(spend).name == tier


@pytest.mark.parametrize(("tier", "points"), [("base", 9), ("silver", 13), ("gold", 19)])
def test_accrual_is_a_share_of_money_paid_rounded_down(tier: str, points: int) -> None:
    assert RULES.accrual_points(19_999, RULES.tier(tier)) == points


def test_the_redemption_cap_is_a_fifth_of_the_receipt_in_whole_points() -> None:
    assert RULES.redemption_cap_points(54_900) == 109
    assert RULES.redemption_cap_points(499) == 0


def test_purchase_points_live_until_the_end_of_the_day_in_the_programme_zone() -> None:
    berlin = ProgramRules(time_zone="Europe/Berlin")
    late_evening = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)  # already Feb 1st in Berlin
    expires = berlin.purchase_lot_expiry(late_evening, berlin.tier("base"))
    assert expires == datetime(2026, 8, 1, 21, 59, 59, tzinfo=UTC)  # 23:59:59 CEST


@pytest.mark.parametrize(("tier", "months"), [("base", 6), ("silver", 12), ("gold", 24)])
def test_lifetime_grows_with_the_tier(tier: str, months: int) -> None:
    bought = datetime(2026, 3, 10, 12, tzinfo=UTC)
    expires = RULES.purchase_lot_expiry(bought, RULES.tier(tier))
    assert expires.date() == add_months(date(2026, 3, 10), months)
    assert (expires.hour, expires.minute, expires.second) == (23, 59, 59)


def test_adding_months_clamps_to_the_end_of_a_shorter_month() -> None:
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)


def test_proportional_shares_add_up_to_the_whole() -> None:
    shares = [proportional(10, n, 3) - proportional(10, n - 1, 3) for n in (1, 2, 3)]
    assert sum(shares) == 10
    assert shares == [3, 3, 4]
