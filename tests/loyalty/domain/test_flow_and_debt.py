"""The allocation, return and debt rules on their own: pure, no database."""

from datetime import UTC, datetime, timedelta
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.domain.allocation import MAX, allocate, line_cap, quote, spending_order
from loyalty.domain.debt import Repayment, settlement
from loyalty.domain.receipt import Line, LotView, Receipt, Restrictions
from loyalty.domain.returns import BoughtLine, kept_redeemed, return_line
from loyalty.domain.rules import ProgramRules

RULES = ProgramRules()
BASE = RULES.tiers[0]
T0 = datetime(2026, 1, 1, tzinfo=UTC)
CATEGORIES = ("sofas", "lamps", "tv")


def lot(lot_id: str, free: int, days: int, *categories: str, store: bool = False) -> LotView:
    # A store-restricted lot is spent early (restricted) yet may pay for any line of the receipt.
    restrictions = Restrictions(categories=tuple(categories), store_ids=("s1",) if store else ())
    return LotView(lot_id, free, T0 + timedelta(days=days), T0, restrictions)


def receipt(*lines: Line) -> Receipt:
    return Receipt("s1", "offline", lines)


def most_by_cuts(lines: tuple[Line, ...], lots: list[LotView], budget: int) -> int:
    """The maximum flow as its minimum cut, by brute force: obviously right, exponential."""
    caps = [line_cap(line, RULES) for line in lines]
    best = sum(lot.free for lot in lots)
    for size in range(len(lots) + 1):
        for kept in combinations(range(len(lots)), size):
            reached = {
                no
                for index in kept
                for no, line in enumerate(lines)
                if lots[index].restrictions.allows_line(line)
            }
            cut = sum(lot.free for i, lot in enumerate(lots) if i not in kept)
            best = min(best, cut + sum(caps[no] for no in reached))
    return min(best, budget)


def test_a_small_line_does_not_block_the_lot_that_could_pay_elsewhere() -> None:
    lots = [lot("store", 10, 5, "sofas", "lamps"), lot("sofas", 10, 50, "sofas")]
    lines = (Line("SOFA", 1, 1_000, "sofas"), Line("LAMP", 1, 10_000, "lamps"))
    found = quote(receipt(*lines), lots, MAX, RULES, BASE)
    assert (found.max_redeemable, found.redeemed) == (12, 12)
    assert [q.redeemed for q in found.lines] == [2, 10]
    assert [q.max_redeemable for q in found.lines] == [2, 10]  # what each could take alone


def test_points_asked_for_come_from_the_lots_first_in_spending_order() -> None:
    lots = [lot("late", 50, 90), lot("soon", 50, 3)]
    found = quote(receipt(Line("SOFA", 1, 50_000, "sofas")), lots, 60, RULES, BASE)
    assert {a.lot_id: a.points for a in found.allocations} == {"soon": 50, "late": 10}
    assert (found.max_redeemable, found.cap) == (100, 100)


lines_strategy = st.lists(
    st.builds(
        Line,
        sku=st.just("X"),
        quantity=st.integers(1, 3),
        price=st.integers(0, 5_000),  # caps of a few points: lots and lines compete
        category=st.sampled_from(CATEGORIES),
        no_redeem=st.booleans(),
    ),
    min_size=1,
    max_size=4,
)
lots_strategy = st.lists(
    st.tuples(
        st.integers(1, 20),
        st.integers(1, 5),
        st.lists(st.sampled_from(CATEGORIES), max_size=2),
        st.booleans(),
    ),
    max_size=5,
)


@settings(max_examples=1_000)  # pure and quick; blocking needs a store lot before a narrow one
@given(lines=lines_strategy, lots=lots_strategy, budget=st.integers(0, 100))
def test_the_allocation_is_a_maximum_flow_that_favours_the_spending_order(
    lines: list[Line], lots: list[tuple[int, int, list[str], bool]], budget: int
) -> None:
    views = spending_order([lot(str(i), f, d, *c, store=s) for i, (f, d, c, s) in enumerate(lots)])
    caps = [line_cap(line, RULES) for line in lines]
    made = allocate(receipt(*lines), views, caps, budget)
    assert sum(a.points for a in made) == most_by_cuts(tuple(lines), views, budget)
    for no, cap in enumerate(caps):
        assert sum(a.points for a in made if a.line_no == no) <= cap
    by_lot = {view.id: 0 for view in views}
    for allocation in made:
        by_lot[allocation.lot_id] += allocation.points
        assert allocation.points > 0
    for count in range(1, len(views) + 1):
        first = views[:count]
        used = sum(by_lot[view.id] for view in first)
        assert used == most_by_cuts(tuple(lines), first, budget)  # earlier lots pay their most
    for view in views:
        assert by_lot[view.id] <= view.free


@given(
    quantity=st.integers(1, 6),
    price=st.integers(1, 40_000),
    returns=st.lists(st.integers(1, 3), max_size=6),
)
def test_kept_items_never_carry_more_points_than_their_cap(
    quantity: int, price: int, returns: list[int]
) -> None:
    redeemed = line_cap(Line("X", quantity, price), RULES)
    bought = BoughtLine(quantity, quantity * price, redeemed, 0)
    restored = refunded = 0
    for wanted in returns:
        take = min(wanted, quantity - bought.returned)
        if take == 0:
            break
        share = return_line(bought, take)
        assert share.refunded >= 0 and share.redeemed_points >= 0
        restored, refunded = restored + share.redeemed_points, refunded + share.refunded
        bought = BoughtLine(quantity, quantity * price, redeemed, 0, bought.returned + take)
        kept = Line("X", quantity - bought.returned, price)
        assert kept_redeemed(bought, bought.returned) <= line_cap(kept, RULES)
    if bought.returned == quantity:
        assert (restored, refunded) == (redeemed, quantity * price - redeemed * 100)


def test_debt_is_paid_in_spending_order_and_never_past_what_is_owed() -> None:
    lots = [lot("late", 30, 90), lot("soon", 5, 3), lot("sofas", 4, 60, "sofas")]
    assert settlement(20, lots) == [
        Repayment("sofas", 4),
        Repayment("soon", 5),
        Repayment("late", 11),
    ]
    assert settlement(0, lots) == []
    assert sum(step.points for step in settlement(500, lots)) == 39
