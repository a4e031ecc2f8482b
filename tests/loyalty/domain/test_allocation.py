from datetime import UTC, datetime, timedelta

from loyalty.domain.allocation import quote, spending_order
from loyalty.domain.receipt import Line, LotView, Receipt, Restrictions
from loyalty.domain.rules import ProgramRules

RULES = ProgramRules()
BASE = RULES.tier("base")
NOW = datetime(2026, 5, 1, tzinfo=UTC)


def lot(
    lot_id: str, free: int, days: int = 30, age: int = 0, **restrict: tuple[str, ...]
) -> LotView:
    return LotView(
        lot_id,
        free,
        NOW + timedelta(days=days),
        NOW - timedelta(days=age),
        Restrictions(**restrict),
    )


def receipt(*lines: Line, channel: str = "offline") -> Receipt:
    return Receipt("s1", channel, lines, "Berlin")  # type: ignore[arg-type]


SOFA = Line("SOFA", 1, 50_000, "sofas")
LAMP = Line("LAMP", 2, 5_000, "lamps")


def test_no_more_than_a_fifth_of_the_receipt_is_paid_with_points() -> None:
    result = quote(receipt(SOFA), [lot("a", 10_000)], "max", RULES, BASE)
    assert result.max_redeemable == result.redeemed == 100
    assert result.payable == 40_000


def test_no_redeem_lines_take_no_points_and_add_nothing_to_the_cap() -> None:
    gift = Line("GIFT", 1, 50_000, no_redeem=True)
    result = quote(receipt(gift, LAMP), [lot("a", 10_000)], "max", RULES, BASE)
    assert [q.redeemed for q in result.lines] == [0, LAMP.amount // 500]  # a fifth of the lamp
    assert [q.max_redeemable for q in result.lines] == [0, LAMP.amount // 500]


def test_no_accrual_lines_earn_nothing_and_accrual_counts_only_money() -> None:
    tobacco = Line("TOBACCO", 1, 10_000, no_accrual=True)
    result = quote(receipt(SOFA, tobacco), [lot("a", 50)], 50, RULES, BASE)
    assert [q.accrued for q in result.lines] == [(50_000 - 5_000) * 5 // 10_000, 0]


def test_a_number_asked_for_is_capped_by_the_balance() -> None:
    result = quote(receipt(SOFA), [lot("a", 30)], 80, RULES, BASE)
    assert result.redeemed == 30
    assert result.max_redeemable == 30


def test_category_lots_pay_only_for_their_category_and_go_first() -> None:
    lots = [lot("any", 1_000, days=1), lot("sofas-only", 70, days=90, categories=("sofas",))]
    result = quote(receipt(SOFA, LAMP), lots, "max", RULES, BASE)
    by_lot = {(a.lot_id, a.line_no): a.points for a in result.allocations}
    assert by_lot[("sofas-only", 0)] == 70
    assert ("sofas-only", 1) not in by_lot
    assert result.redeemed == 120  # a fifth of 60 000


def test_offline_only_lots_do_not_pay_online() -> None:
    lots = [lot("offline", 100, store_channels=("offline",))]
    assert quote(receipt(SOFA, channel="online"), lots, "max", RULES, BASE).redeemed == 0
    assert quote(receipt(SOFA, channel="offline"), lots, "max", RULES, BASE).redeemed == 100


def test_store_and_city_restrictions_follow_the_receipt() -> None:
    elsewhere = [lot("x", 100, cities=("Hamburg",)), lot("y", 100, store_ids=("s9",))]
    assert quote(receipt(SOFA), elsewhere, "max", RULES, BASE).redeemed == 0


def test_spending_order_restricted_then_earliest_expiry_then_oldest() -> None:
    lots = [
        lot("late", 1, days=60),
        lot("soon-new", 1, days=10, age=1),
        lot("soon-old", 1, days=10, age=5),
        lot("restricted", 1, days=90, categories=("sofas",)),
    ]
    assert [x.id for x in spending_order(lots)] == ["restricted", "soon-old", "soon-new", "late"]
