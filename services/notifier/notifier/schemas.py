from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class DeliveryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idempotency_key: str = Field(min_length=1, max_length=300)
    customer_id: str = Field(min_length=1, max_length=36)
    template: str = Field(min_length=1, max_length=100)
    channel: Literal["email"] = "email"
    source: str = Field(min_length=1, max_length=200)
    variables: dict[str, Any] = {}


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    customer_id: str
    channel: str
    template: str
    source: str
    status: str
    reason: str | None
    created_at: datetime
    sent_at: datetime | None
