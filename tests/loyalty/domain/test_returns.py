import pytest

from loyalty.domain.returns import (
    BoughtLine,
    ReturnTooLarge,
    Spent,
    restoration_plan,
    return_line,
)

LINE = BoughtLine(quantity=3, amount=30_000, redeemed=60, accrued=12)


def test_returning_items_one_by_one_gives_back_exactly_the_whole() -> None:
    shares = [return_line(BoughtLine(3, 30_000, 60, 12, returned), 1) for returned in range(3)]
    assert sum(s.refunded for s in shares) == 30_000 - 60 * 100
    assert sum(s.reversed_points for s in shares) == 12
    assert sum(s.redeemed_points for s in shares) == 60


def test_returning_more_than_bought_is_refused() -> None:
    with pytest.raises(ReturnTooLarge):
        return_line(BoughtLine(3, 30_000, 60, 12, returned=2), 2)


def test_points_go_back_to_live_lots_first_and_expired_ones_are_written_off() -> None:
    spent = [Spent(1, "expired", 10, True), Spent(2, "alive", 10, False)]
    plan = restoration_plan(spent, 15)
    assert [(p.lot_id, p.points, p.lot_expired) for p in plan] == [
        ("alive", 10, False),
        ("expired", 5, True),
    ]
