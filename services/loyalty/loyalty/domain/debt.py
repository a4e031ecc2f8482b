"""The debt rule, written once. Pure.

A member owes points when a return takes back an accrual they had already spent. Owing points
and holding spendable points never coexist: whenever both exist (a debt arises, or points are
credited: an accrual, a grant, a restore, a released reservation) the free points of the
member's unexpired lots, pending ones included, pay the debt at once, lot by lot in spending
order. So a member who owes points has none to spend.
"""

from dataclasses import dataclass

from loyalty.domain.allocation import spending_order
from loyalty.domain.receipt import LotView


@dataclass(frozen=True)
class Repayment:
    lot_id: str
    points: int


def settlement(debt: int, lots: list[LotView]) -> list[Repayment]:
    """What each lot pays towards ``debt``: at most its free points, in spending order."""
    plan: list[Repayment] = []
    for lot in spending_order([lot for lot in lots if lot.free > 0]):
        if debt <= 0:
            break
        take = min(lot.free, debt)
        plan.append(Repayment(lot.id, take))
        debt -= take
    return plan
