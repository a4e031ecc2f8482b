"""Which lots pay for which lines: the quote behind calculate and reserve. Pure.

The rule, written once:
- each line may take at most its own cap: the redemption cap of the line's amount (20 % by
  default, rounded down to whole points), and none on a ``no_redeem`` line, so the lines of a
  receipt never sum past the receipt's cap and whatever part of a receipt is kept after a
  return still respects the cap;
- the quote offers the most points the lots can pay under their restrictions and the line caps:
  a maximum flow from lots to the lines each may pay for;
- among the allocations that reach that most, it spends the lots in spending order: every lot
  pays as much as it can given that the lots before it paid as much as they could.
"""

from collections import deque
from dataclasses import dataclass
from itertools import pairwise

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
    max_redeemable: int  # this line's own capacity: its cap, and what its lots hold
    redeemed: int
    accrued: int

    @property
    def paid_with_money(self) -> int:
        return self.line.amount - self.redeemed * MINOR_UNITS_PER_POINT


@dataclass(frozen=True)
class Quote:
    lines: tuple[LineQuote, ...]
    max_redeemable: int  # the most the whole receipt can take now
    allocations: tuple[Allocation, ...]
    cap: int = 0  # the receipt's cap: the sum of its lines' caps

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


def line_cap(line: Line, rules: ProgramRules) -> int:
    """Points a line may take: the cap of its amount, none on a ``no_redeem`` line."""
    return 0 if line.no_redeem else rules.redemption_cap_points(line.amount)


def quote(
    receipt: Receipt, lots: list[LotView], wanted: int | str, rules: ProgramRules, tier: Tier
) -> Quote:
    usable = [lot for lot in lots if lot.free > 0 and lot.restrictions.allows_receipt(receipt)]
    ordered = spending_order(usable)
    caps = [line_cap(line, rules) for line in receipt.lines]
    allocations = allocate(receipt, ordered, caps, sum(caps))
    most = sum(a.points for a in allocations)
    if wanted != MAX and int(wanted) < most:
        allocations = allocate(receipt, ordered, caps, int(wanted))
    redeemed = [0] * len(receipt.lines)
    for allocation in allocations:
        redeemed[allocation.line_no] += allocation.points
    lines = tuple(
        _line_quote(line, redeemed[no], _line_max(line, caps[no], usable), rules, tier)
        for no, line in enumerate(receipt.lines)
    )
    return Quote(lines, most, tuple(allocations), sum(caps))


def allocate(
    receipt: Receipt, ordered: list[LotView], caps: list[int], budget: int
) -> list[Allocation]:
    """Up to ``budget`` points, the most the lots can pay, lots preferred in the given order."""
    allowed = [
        [no for no, line in enumerate(receipt.lines) if lot.restrictions.allows_line(line)]
        for lot in ordered
    ]
    flow = _Flow(caps, allowed)
    for index, lot in enumerate(ordered):
        budget -= flow.push(index, min(lot.free, budget))
        if budget <= 0:
            break
    return [
        Allocation(ordered[index].id, no, points)
        for index, per_line in enumerate(flow.points)
        for no, points in sorted(per_line.items())
        if points > 0
    ]


class _Flow:
    """A flow from lots to lines (lines bounded by their room): small, exact, augmenting paths.

    Pushing from one lot may move points other lots already put on a line to another line they
    may pay for; it never lowers what an earlier lot pays, so lots earlier in the order keep
    the most they could pay.
    """

    def __init__(self, room: list[int], allowed: list[list[int]]) -> None:
        self.room = list(room)
        self.allowed = allowed
        self.points: list[dict[int, int]] = [{} for _ in allowed]

    def push(self, lot: int, wanted: int) -> int:
        pushed = 0
        while pushed < wanted:
            path = self._path(lot)
            if path is None:
                break
            pushed += self._augment(path, wanted - pushed)
        return pushed

    def _path(self, start: int) -> list[tuple[int, int]] | None:
        """(lot, line) steps from ``start`` to a line with room; each later lot gives way."""
        came_from: dict[int, tuple[int, int]] = {}  # line -> (lot, the line it gives way on)
        seen_lots, queue = {start}, deque([(start, -1)])
        while queue:
            lot, via = queue.popleft()
            for line in self.allowed[lot]:
                if line in came_from:
                    continue
                came_from[line] = (lot, via)
                if self.room[line] > 0:
                    return _unwind(came_from, line)
                for other, per_line in enumerate(self.points):
                    if per_line.get(line, 0) > 0 and other not in seen_lots:
                        seen_lots.add(other)
                        queue.append((other, line))
        return None

    def _augment(self, path: list[tuple[int, int]], wanted: int) -> int:
        # path: [(start lot, line1), (lot2, line2), ...]; lot k+1 gives up points on line k.
        gives_way = [(lot, line) for (_lot, line), (lot, _next) in pairwise(path)]
        given_up = [self.points[lot][no] for lot, no in gives_way]
        amount = min([wanted, self.room[path[-1][1]], *given_up])
        for lot, line in gives_way:
            self.points[lot][line] -= amount
        for lot, line in path:
            self.points[lot][line] = self.points[lot].get(line, 0) + amount
        self.room[path[-1][1]] -= amount
        return amount


def _unwind(came_from: dict[int, tuple[int, int]], line: int) -> list[tuple[int, int]]:
    path: list[tuple[int, int]] = []
    step = line
    while True:
        lot, previous = came_from[step]
        path.append((lot, step))
        if previous < 0:
            return path[::-1]
        step = previous


def _line_max(line: Line, cap: int, usable: list[LotView]) -> int:
    reachable = sum(lot.free for lot in usable if lot.restrictions.allows_line(line))
    return min(cap, reachable)


def _line_quote(line: Line, redeemed: int, most: int, rules: ProgramRules, tier: Tier) -> LineQuote:
    money = line.amount - redeemed * MINOR_UNITS_PER_POINT
    accrued = 0 if line.no_accrual else rules.accrual_points(money, tier)
    return LineQuote(line, most, redeemed, accrued)
