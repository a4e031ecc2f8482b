"""Loyalty's programme rules as other services read them (`GET /programme` on loyalty)."""

from pydantic import BaseModel, ConfigDict, Field


class ProgrammeRules(BaseModel):
    model_config = ConfigDict(frozen=True)

    minor_units_per_point: int = Field(
        description="What one redeemed point pays for, in minor units of money"
    )
    redemption_cap_bp: int = Field(
        description="At most this share of a receipt may be paid with points, in basis points"
    )
    time_zone: str
