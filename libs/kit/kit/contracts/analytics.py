"""The analytics reports' shape, served by the orchestrator and published by the gateway: one
set of figures for a chain, a chain's version and a campaign, each against its own holdout
(formulas in docs/orchestrator.md)."""

from typing import Annotated

from pydantic import BaseModel, Field

# A campaign's settings for its measurement, the same at the gateway and the orchestrator.
HoldoutShare = Annotated[
    float,
    Field(
        ge=0.0,
        le=0.5,
        description="Share of the segment held out (no grant, no message) and measured against",
    ),
]
AttributionWindowDays = Annotated[
    int, Field(ge=1, le=90, description="Purchases this long after reaching a member count")
]


class Conversions(BaseModel):
    treated: int
    holdout: int


class Uplift(BaseModel):
    """Conversion rate, treated minus holdout, with Newcombe's hybrid score interval."""

    treated_rate: float
    holdout_rate: float
    difference: float
    ci95_low: float
    ci95_high: float
    relative: float | None = Field(description="difference / holdout rate; null at 0 %")
    method: str


class MeanDifference(BaseModel):
    """Net revenue per customer (minor units), treated minus holdout, Welch's interval."""

    treated: float
    holdout: float
    difference: float
    standard_error: float | None
    ci95_low: float | None = Field(description="null while a group has fewer than two")
    ci95_high: float | None
    method: str


class CupedDifference(MeanDifference):
    theta: float = Field(description="the pre-period spend's coefficient")


class Incremental(BaseModel):
    """A difference per customer times the treated count, whole minor units."""

    estimate: int
    ci95_low: int | None
    ci95_high: int | None


class ChannelMessages(BaseModel):
    sent: int
    failed: int
    cost: int = Field(description="minor units; an SMS once per segment")


class Cost(BaseModel):
    messages: int = Field(description="every attempt by channel, minor units")
    sms_segments: int
    points_redeemed: int = Field(description="own granted points that paid for purchases")
    points: int = Field(description="points_redeemed times point_value, minor units")
    total: int


class MinimumDetectableEffect(BaseModel):
    """At 80 % power and 5 % significance, at the current group sizes."""

    conversion: float | None
    revenue_per_customer: float | None


class Figures(BaseModel):
    enrolled: int
    treated: int
    holdout: int
    active: int
    exited: dict[str, int]
    conversions: Conversions
    uplift: Uplift | None
    revenue_per_customer: MeanDifference | None
    revenue_per_customer_cuped: CupedDifference | None
    incremental_revenue: Incremental | None
    incremental_revenue_cuped: Incremental | None
    attributed_revenue: int = Field(description="gross net revenue of treated conversions")
    returned_revenue: int
    messages_by_channel: dict[str, ChannelMessages]
    points_granted: int
    cost: Cost
    incremental_gross_profit: int | None
    incremental_roi: float | None = Field(description="(incremental gross profit - cost) / cost")
    incremental_roi_cuped: float | None
    minimum_detectable_effect: MinimumDetectableEffect


class StepCosts(BaseModel):
    messages: dict[str, int]
    points_granted: int


class VersionFigures(Figures):
    version: int
    steps: dict[str, StepCosts]


class ChainReport(BaseModel):
    chain_id: str
    point_value: int = Field(description="minor units a redeemed point pays for (loyalty)")
    margin_bp: int
    total: Figures
    versions: list[VersionFigures]


class CampaignReport(BaseModel):
    campaign_id: str
    point_value: int = Field(description="minor units a redeemed point pays for (loyalty)")
    margin_bp: int
    holdout_share: float
    attribution_window_days: int
    total: Figures
