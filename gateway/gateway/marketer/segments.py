"""Segments as the marketer API lists them (the segments service owns them and their rules)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SegmentKind = Literal["recency", "rfm", "rule"]


class SegmentOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "recency.cooling",
                    "kind": "recency",
                    "name": "Cooling",
                    "description": "Last purchase 60 to 120 days ago",
                    "version": 1,
                    "definition": None,
                    "created_at": "2026-12-01T09:30:00Z",
                    "updated_at": "2026-12-01T09:30:00Z",
                    "member_count": None,
                }
            ]
        }
    )

    id: str
    kind: str = Field(description="`recency`, `rfm` or `rule`")
    name: str
    description: str | None
    version: int = Field(description="A rule segment's version: each edit is a new one")
    definition: dict[str, Any] | None = Field(description="A rule segment's rule")
    created_at: datetime
    updated_at: datetime
    member_count: int | None = Field(
        default=None, description="On `GET /v1/segments/{id}` only; null in the list"
    )
