"""A receipt and the lots that may pay for it, as plain values."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

StoreChannel = Literal["online", "offline"]


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    price: int  # minor units per item
    category: str | None = None
    no_redeem: bool = False
    no_accrual: bool = False

    @property
    def amount(self) -> int:
        return self.quantity * self.price


@dataclass(frozen=True)
class Receipt:
    store_id: str
    channel: StoreChannel
    lines: tuple[Line, ...]
    city: str | None = None

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


@dataclass(frozen=True)
class Restrictions:
    """Where a lot may be spent; an empty tuple means no restriction of that kind."""

    categories: tuple[str, ...] = ()
    store_channels: tuple[str, ...] = ()
    store_ids: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.categories or self.store_channels or self.store_ids or self.cities)

    def allows_receipt(self, receipt: Receipt) -> bool:
        return (
            _allowed(self.store_channels, receipt.channel)
            and _allowed(self.store_ids, receipt.store_id)
            and _allowed(self.cities, receipt.city)
        )

    def allows_line(self, line: Line) -> bool:
        return _allowed(self.categories, line.category)


def _allowed(allowed: tuple[str, ...], value: str | None) -> bool:
    return not allowed or value in allowed


@dataclass(frozen=True)
class LotView:
    """A lot as the allocator sees it: what is free to spend now."""

    id: str
    free: int  # remaining minus reserved
    expires_at: datetime
    created_at: datetime
    restrictions: Restrictions = field(default_factory=Restrictions)
