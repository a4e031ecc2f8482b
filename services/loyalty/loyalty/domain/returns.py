"""What a return gives back: refund, reversed accrual, restored points. Pure."""

from dataclasses import dataclass

from loyalty.domain.rules import MINOR_UNITS_PER_POINT, proportional


class ReturnTooLarge(ValueError):
    pass


@dataclass(frozen=True)
class BoughtLine:
    quantity: int
    amount: int
    redeemed: int
    accrued: int
    returned: int = 0  # quantity returned before this return


@dataclass(frozen=True)
class LineReturn:
    quantity: int
    refunded: int  # money given back, minor units
    reversed_points: int  # accrual taken back
    redeemed_points: int  # points that paid for the returned items


def return_line(bought: BoughtLine, quantity: int) -> LineReturn:
    after = bought.returned + quantity
    if quantity <= 0 or after > bought.quantity:
        raise ReturnTooLarge(f"{after} of {bought.quantity} items would be returned")

    def share(total: int) -> int:
        return proportional(total, after, bought.quantity) - proportional(
            total, bought.returned, bought.quantity
        )

    paid_with_money = bought.amount - bought.redeemed * MINOR_UNITS_PER_POINT
    return LineReturn(
        quantity,
        share(paid_with_money),
        share(bought.accrued),
        kept_redeemed(bought, bought.returned) - kept_redeemed(bought, after),
    )


def kept_redeemed(bought: BoughtLine, returned: int) -> int:
    """Points still paying for the items kept, rounded down (so restoring rounds up).

    A line took at most the cap of its amount, so the points left on the kept items never
    exceed the cap of what is kept, whatever sequence of partial returns led there.
    """
    return proportional(bought.redeemed, bought.quantity - returned, bought.quantity)


@dataclass(frozen=True)
class Spent:
    """Points of one allocation not yet given back, and whether their lot has expired."""

    allocation_id: int
    lot_id: str
    open_points: int
    lot_expired: bool


@dataclass(frozen=True)
class Restoration:
    allocation_id: int
    lot_id: str
    points: int
    lot_expired: bool  # such points are written off, not restored


def restoration_plan(spent: list[Spent], points: int) -> list[Restoration]:
    """Gives back to lots still alive first; what only expired lots could take is lost."""
    plan: list[Restoration] = []
    for item in sorted(spent, key=lambda s: s.lot_expired):
        take = min(item.open_points, points)
        if take > 0:
            plan.append(Restoration(item.allocation_id, item.lot_id, take, item.lot_expired))
            points -= take
    return plan
