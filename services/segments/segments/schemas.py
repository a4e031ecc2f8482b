from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kit.schemas import StrictModel


class ProfileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    customer_id: str
    registered_at: datetime | None
    city: str | None
    birthday: date | None
    time_zone: str
    subscribed_channels: list[str]
    tier: str | None = None
    first_purchase_at: datetime | None = None
    last_purchase_at: datetime | None = None
    purchase_count: int = 0
    lifetime_spend: int = 0
    last_store_id: str | None = None
    last_channel: str | None = None
    last_message_at: datetime | None = None
    last_engaged_at: datetime | None = None
    cart_total: int = 0
    last_viewed_at: datetime | None = None


EXAMPLE_RULE: dict[str, Any] = {
    "and": [
        {"attribute": "city", "op": "in", "value": ["Berlin", "Hamburg"]},
        {"aggregate": "purchase_count", "window": {"days": 365}, "op": "gte", "value": 2},
        {"bought_category": "shoes", "window": {"days": 90}},
        {"segment": "recency.cooling", "op": "not_in"},
    ]
}


class SegmentIn(StrictModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    definition: dict[str, Any] = Field(examples=[EXAMPLE_RULE])


class PreviewIn(StrictModel):
    model_config = ConfigDict(extra="forbid")

    definition: dict[str, Any] = Field(examples=[EXAMPLE_RULE])
    sample_size: int = Field(default=20, ge=0, le=200)


class PreviewOut(BaseModel):
    count: int
    sample: list[str]


class SegmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    name: str
    description: str | None
    version: int
    definition: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    member_count: int | None = None


class MembersPage(BaseModel):
    members: list[str]
    next_cursor: str | None


class CustomerSegmentOut(BaseModel):
    segment_id: str
    version: int
    name: str


class RfmDistributionOut(BaseModel):
    window_days: int
    scored_customers: int
    segments: dict[str, int]
