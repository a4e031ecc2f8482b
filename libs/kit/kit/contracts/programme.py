"""Loyalty's programme rules as other services read them (`GET /programme` on loyalty)."""

from pydantic import BaseModel, ConfigDict


class ProgrammeRules(BaseModel):
    model_config = ConfigDict(frozen=True)

    minor_units_per_point: int  # what one redeemed point pays for, in minor units
    redemption_cap_bp: int  # at most this share of a receipt, in basis points, paid with points
    time_zone: str
