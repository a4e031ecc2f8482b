"""Which lots pay for which lines: the quote behind calculate and reserve. Pure."""

from dataclasses import dataclass

from loyalty.domain.receipt import Line, LotView, Receipt
from loyalty.domain.rules import MINOR_UNITS_PER_POINT, ProgramRules, Tier

MAX = "max"


@dataclass(frozen=True)
class Allocation:
    lot_id: str
    line_no: int
    points: int


@dataclass(frozen=True)
class LineQuote:
    line: Line
    max_redeemable: int
    redeemed: int
    accrued: int

    @property
    def paid_with_money(self) -> int:
        return self.line.amount - self.redeemed * MINOR_UNITS_PER_POINT


@dataclass(frozen=True)
class Quote:
    lines: tuple[LineQuote, ...]
    max_redeemable: int
    allocations: tuple[Allocation, ...]

    @property
    def redeemed(self) -> int:
        return sum(q.redeemed for q in self.lines)

    @property
    def accrued(self) -> int:
        return sum(q.accrued for q in self.lines)

    @property
    def total(self) -> int:
        return sum(q.line.amount for q in self.lines)

    @property
    def payable(self) -> int:
        return sum(q.paid_with_money for q in self.lines)


def spending_order(lots: list[LotView]) -> list[LotView]:
    """Restricted lots first, then the earliest expiry, then the oldest."""
    return sorted(lots, key=lambda lot: (not lot.restrictions.any, lot.expires_at, lot.created_at))


def line_capacity(line: Line) -> int:
    """Points a line could absorb on its own: never more than its price in whole units."""
    return 0 if line.no_redeem else line.amount // MINOR_UNITS_PER_POINT


def quote(
    receipt: Receipt, lots: list[LotView], wanted: int | str, rules: ProgramRules, tier: Tier
) -> Quote:
    usable = [lot for lot in lots if lot.free > 0 and lot.restrictions.allows_receipt(receipt)]
    cap = rules.redemption_cap_points(receipt.total)
    budget = cap if wanted == MAX else min(int(wanted), cap)
    allocations = allocate(receipt, spending_order(usable), budget)
    most = sum(a.points for a in allocate(receipt, spending_order(usable), cap))
    redeemed = [0] * len(receipt.lines)
    for allocation in allocations:
        redeemed[allocation.line_no] += allocation.points
    lines = tuple(
        _line_quote(line, redeemed[no], _line_max(line, usable, cap), rules, tier)
        for no, line in enumerate(receipt.lines)
    )
    return Quote(lines, most, tuple(allocations))


def allocate(receipt: Receipt, ordered: list[LotView], budget: int) -> list[Allocation]:
    """Greedy over lots in spending order, each lot over the lines it may pay for."""
    room = [line_capacity(line) for line in receipt.lines]
    allocations: list[Allocation] = []
    for lot in ordered:
        left = lot.free
        for no, line in enumerate(receipt.lines):
            take = min(left, room[no], budget)
            if take <= 0 or not lot.restrictions.allows_line(line):
                continue
            allocations.append(Allocation(lot.id, no, take))
            left, room[no], budget = left - take, room[no] - take, budget - take
    return allocations


def _line_max(line: Line, usable: list[LotView], cap: int) -> int:
    reachable = sum(lot.free for lot in usable if lot.restrictions.allows_line(line))
    return min(line_capacity(line), cap, reachable)


def _line_quote(line: Line, redeemed: int, most: int, rules: ProgramRules, tier: Tier) -> LineQuote:
    money = line.amount - redeemed * MINOR_UNITS_PER_POINT
    accrued = 0 if line.no_accrual else rules.accrual_points(money, tier)
    return LineQuote(line, most, redeemed, accrued)
