"""Public request and answer models of the gateway's own routes (app events)."""

from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kit.schemas import StrictModel

Id = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:\-]+$")]


# Unknown fields are refused (a misspelt field must not be dropped silently), numbers and
# booleans only as JSON numbers and booleans: kit.schemas.
Strict = StrictModel


class CartItemIn(Strict):
    sku: Id
    category: Id | None = None
    quantity: int = Field(ge=1, le=10_000)
    price: int = Field(ge=0, le=10**9, description="Per item, in minor units (cents)")


class CartUpdatedIn(Strict):
    type: Literal["cart.updated"]
    customer_id: Id | None = Field(
        default=None, description="Required with a POS key; an app key acts for its customer"
    )
    cart_id: Id
    items: list[CartItemIn] = Field(max_length=500)
    total: int | None = Field(
        default=None, ge=0, description="Minor units; computed from the items when left out"
    )

    @model_validator(mode="after")
    def total_matches_items(self) -> Self:
        if self.total is not None and self.total != self.items_total():
            raise ValueError("total must equal the sum of quantity * price over the items")
        return self

    def items_total(self) -> int:
        return sum(item.quantity * item.price for item in self.items)


class CartClearedIn(Strict):
    type: Literal["cart.cleared"]
    customer_id: Id | None = None
    cart_id: Id


class ProductViewedIn(Strict):
    type: Literal["product.viewed"]
    customer_id: Id | None = None
    sku: Id
    category: Id | None = None


AppEventIn = Annotated[CartUpdatedIn | CartClearedIn | ProductViewedIn, Field(discriminator="type")]

APP_EVENT_EXAMPLES = {
    "cart_updated": {
        "summary": "The cart changed",
        "value": {
            "type": "cart.updated",
            "cart_id": "cart-8841",
            "items": [
                {"sku": "SKU-1", "category": "shoes", "quantity": 1, "price": 5999},
                {"sku": "SKU-2", "quantity": 2, "price": 499},
            ],
            "total": 6997,
        },
    },
    "cart_cleared": {
        "summary": "The cart was emptied",
        "value": {"type": "cart.cleared", "cart_id": "cart-8841"},
    },
    "product_viewed": {
        "summary": "A product page was viewed",
        "value": {"type": "product.viewed", "sku": "SKU-1", "category": "shoes"},
    },
}


class EventAccepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "1b0e4a5c-3f0e-4e57-9a57-0b1f1c7e3a10",
                    "type": "cart.updated",
                    "customer_id": "c0a8012e-7d4b-4a43-9f65-2f0f3c9b6b11",
                }
            ]
        }
    )

    event_id: UUID
    type: str
    customer_id: str
