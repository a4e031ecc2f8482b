"""A plain-Python model of the programme, written to be obviously right rather than fast.

Members, lots, the per-line cap, the most points a receipt can take, the spending order,
returns and debt, each as the docs state them (docs/loyalty.md). It shares no code with the
service: the state machine (test_ledger_machine.py) drives both and compares them after every
step. What the model takes from the service: lot ids, expiry dates and accrual amounts (the
tiers' business, not the economics this model checks).
"""

from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations

CAP_PERCENT = 20
POINT = 100  # minor units one point pays for


@dataclass
class Lot:
    id: str
    member: str
    remaining: int
    active_from: datetime
    expires_at: datetime
    order: int  # creation order: the last tie-break of the spending order
    categories: tuple[str, ...] = ()
    source: str = "promo"
    reserved: int = 0
    stores: tuple[str, ...] = ()  # the machine's receipts are all in store s1

    @property
    def restricted(self) -> bool:
        return bool(self.categories or self.stores)

    @property
    def free(self) -> int:
        return self.remaining - self.reserved

    def alive(self, now: datetime) -> bool:
        return self.expires_at >= now

    def pays_for(self, category: str | None) -> bool:
        return not self.categories or category in self.categories


@dataclass
class Spent:
    """Points of one lot paying for one line, and how many of them were given back."""

    lot_id: str
    points: int
    back: int = 0


@dataclass
class Line:
    sku: str
    quantity: int
    price: int
    category: str | None
    no_redeem: bool
    accrued: int = 0
    returned: int = 0
    spent: list[Spent] = field(default_factory=list)

    @property
    def cap(self) -> int:
        return cap_of(self, self.quantity)

    @property
    def redeemed(self) -> int:
        return sum(s.points for s in self.spent)

    def kept(self) -> int:
        """Points on the items kept: the line's points in proportion, rounded down."""
        return self.redeemed * (self.quantity - self.returned) // self.quantity


def cap_of(line: Line, quantity: int) -> int:
    """A fifth of the amount of ``quantity`` items, in whole points; none if ``no_redeem``."""
    return 0 if line.no_redeem else line.price * quantity * CAP_PERCENT // 100 // POINT


@dataclass
class Purchase:
    txid: str
    member: str
    lines: list[Line]
    until: datetime  # the reservation lapses after this
    status: str = "reserved"
    accrual_lot: str | None = None


def spending_order(lots: list[Lot]) -> list[Lot]:
    return sorted(lots, key=lambda lot: (not lot.restricted, lot.expires_at, lot.order))


def most(lines: list[Line], lots: list[Lot]) -> int:
    """The most points ``lots`` can pay for ``lines``, as the smallest cut: for every set X of
    lines, the caps of X plus every lot that may pay for a line outside X."""
    best = None
    for size in range(len(lines) + 1):
        for chosen in combinations(range(len(lines)), size):
            cut = sum(lines[no].cap for no in chosen)
            for lot in lots:
                outside = [n for n, line in enumerate(lines) if n not in chosen]
                if any(lot.pays_for(lines[n].category) for n in outside):
                    cut += lot.free
            best = cut if best is None else min(best, cut)
    return best or 0


class Programme:
    def __init__(self) -> None:
        self.lots: dict[str, Lot] = {}
        self.debt: dict[str, int] = {}
        self.purchases: dict[str, Purchase] = {}
        self.created = 0

    def add_member(self, member: str) -> None:
        self.debt[member] = 0

    def add_lot(self, lot: Lot, now: datetime) -> None:
        self.created += 1
        lot.order = self.created
        self.lots[lot.id] = lot
        self.settle(lot.member, now)

    def of(self, member: str) -> list[Lot]:
        return [lot for lot in self.lots.values() if lot.member == member]

    def usable(self, member: str, now: datetime) -> list[Lot]:
        return spending_order(
            [
                lot
                for lot in self.of(member)
                if lot.active_from <= now and lot.alive(now) and lot.free > 0
            ]
        )

    def expected_spend(
        self, member: str, lines: list[Line], wanted: int | str, now: datetime
    ) -> tuple[int, dict[str, int]]:
        """The most the receipt can take, and what each lot pays: every lot in spending order
        pays as much as the lots up to it can, less what the lots before it pay."""
        ordered = self.usable(member, now)
        top = most(lines, ordered)
        budget = top if wanted == "max" else min(int(wanted), top)
        per_lot, before = {}, 0
        for count, lot in enumerate(ordered, 1):
            upto = min(budget, most(lines, ordered[:count]))
            if upto > before:
                per_lot[lot.id] = upto - before
            before = upto
        return top, per_lot

    def hold(self, purchase: Purchase) -> None:
        self.purchases[purchase.txid] = purchase
        for line in purchase.lines:
            for spent in line.spent:
                self.lots[spent.lot_id].reserved += spent.points

    def release(self, txid: str, status: str, now: datetime) -> None:
        purchase = self.purchases[txid]
        for line in purchase.lines:
            for spent in line.spent:
                self.lots[spent.lot_id].reserved -= spent.points
        purchase.status = status
        self.settle(purchase.member, now)

    def confirm(self, txid: str, accrual: Lot | None, now: datetime) -> None:
        purchase = self.purchases[txid]
        for line in purchase.lines:
            for spent in line.spent:
                self.lots[spent.lot_id].reserved -= spent.points
                self.lots[spent.lot_id].remaining -= spent.points
        purchase.status = "confirmed"
        if accrual is not None:
            purchase.accrual_lot = accrual.id
            self.add_lot(accrual, now)

    def return_items(self, txid: str, wanted: list[tuple[str, int]], now: datetime) -> bool:
        """One return of (sku, quantity) pairs; False (nothing changes) when more would be
        returned than is left of a sku, or the purchase is not confirmed."""
        purchase = self.purchases[txid]
        asked: dict[str, int] = {}
        for sku, quantity in wanted:
            asked[sku] = asked.get(sku, 0) + quantity
        for sku, quantity in asked.items():
            left = sum(line.quantity - line.returned for line in purchase.lines if line.sku == sku)
            if quantity > left:
                return False
        if purchase.status != "confirmed":
            return False
        reversed_ = 0
        for sku, quantity in wanted:
            for line in purchase.lines:
                take = min(quantity, line.quantity - line.returned) if line.sku == sku else 0
                if take <= 0:
                    continue
                quantity -= take
                before = line.kept()
                reversed_before = line.accrued * line.returned // line.quantity
                line.returned += take
                reversed_ += line.accrued * line.returned // line.quantity - reversed_before
                self._give_back(line, before - line.kept(), now)
        self._reverse(purchase, reversed_)
        self.settle(purchase.member, now)
        return True

    def _give_back(self, line: Line, points: int, now: datetime) -> None:
        """Back to the lots still alive first; what only expired lots could take is lost."""
        for spent in sorted(line.spent, key=lambda s: not self.lots[s.lot_id].alive(now)):
            take = min(spent.points - spent.back, points)
            if take > 0:
                spent.back += take
                points -= take
                if self.lots[spent.lot_id].alive(now):
                    self.lots[spent.lot_id].remaining += take

    def _reverse(self, purchase: Purchase, points: int) -> None:
        lot = self.lots.get(purchase.accrual_lot or "")
        taken = min(lot.free, points) if lot else 0
        if lot:
            lot.remaining -= taken
        self.debt[purchase.member] += points - taken

    def settle(self, member: str, now: datetime) -> None:
        """Debt and free points never coexist: free points of unexpired lots pay it."""
        for lot in spending_order([lot for lot in self.of(member) if lot.alive(now)]):
            take = min(lot.free, self.debt[member])
            lot.remaining -= take
            self.debt[member] -= take

    def sweep(self, at: datetime) -> None:
        for txid, purchase in self.purchases.items():
            if purchase.status == "reserved" and purchase.until < at:
                self.release(txid, "lapsed", at)
        for lot in self.lots.values():
            if not lot.alive(at):
                lot.remaining = lot.reserved

    def balance(self, member: str, now: datetime) -> dict[str, int]:
        alive = [lot for lot in self.of(member) if lot.alive(now)]
        return {
            "available": sum(lot.free for lot in alive if lot.active_from <= now),
            "pending": sum(lot.free for lot in alive if lot.active_from > now),
            "reserved": sum(lot.reserved for lot in alive),
            "debt": self.debt[member],
        }
