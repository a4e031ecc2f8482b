"""App events the gateway publishes for segments and chains."""

from typing import Literal

from kit.contracts.common import CartItem
from kit.events import Event, Payload


class CartUpdatedPayload(Payload):
    cart_id: str
    items: list[CartItem]
    total: int  # minor units


class CartUpdated(Event):
    source = "gateway"
    type: Literal["cart.updated"] = "cart.updated"
    version: Literal[1] = 1
    payload: CartUpdatedPayload


class CartClearedPayload(Payload):
    cart_id: str


class CartCleared(Event):
    source = "gateway"
    type: Literal["cart.cleared"] = "cart.cleared"
    version: Literal[1] = 1
    payload: CartClearedPayload


class ProductViewedPayload(Payload):
    sku: str
    category: str | None = None


class ProductViewed(Event):
    source = "gateway"
    type: Literal["product.viewed"] = "product.viewed"
    version: Literal[1] = 1
    payload: ProductViewedPayload


EVENTS: tuple[type[Event], ...] = (CartUpdated, CartCleared, ProductViewed)
