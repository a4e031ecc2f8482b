"""Shared vocabulary of the contracts. Money is integer minor units; points are integers."""

from typing import Literal

from kit.events import Payload

Channel = Literal["email", "sms", "push", "messenger"]
StoreChannel = Literal["online", "offline"]


class CartItem(Payload):
    sku: str
    category: str | None = None
    quantity: int
    price: int  # minor units per item
