"""Per-step analytics as a marketer reads them: a funnel per version and a daily chart."""

from datetime import date

from pydantic import BaseModel, Field


class Split(BaseModel):
    """Treated customers and the holdout (who walk the chain but receive nothing)."""

    treated: int = 0
    holdout: int = 0


class StepFigures(BaseModel):
    step: str
    kind: str = Field(examples=["send"])
    reached: Split = Field(description="enrollments that reached the step (repeats once)")
    waiting: int = Field(description="enrollments at the step now")
    exited: dict[str, int] = Field(
        description="reason → enrollments that left the chain at this step",
        examples=[{"purchase": 12, "cancelled": 1}],
    )
    messages: dict[str, int] = Field(
        description="final status → messages: sent, delivered, opened, clicked, failed",
        examples=[{"sent": 40, "delivered": 31, "opened": 12, "clicked": 4, "failed": 2}],
    )
    deferred: dict[str, int] = Field(
        description="Messages held back now, by reason (quiet_hours, daily_cap, pause)",
        examples=[{"quiet_hours": 3, "daily_cap": 1}],
    )
    skipped: dict[str, int] = Field(
        description="Messages never tried, by reason (no_consent, no_address, daily_cap, …)",
        examples=[{"no_consent": 5}],
    )
    points_granted: int


class VersionSteps(BaseModel):
    version: int
    steps: list[StepFigures] = Field(description="in the version's order")
    exited_before_first_step: dict[str, int] = Field(examples=[{"not_in_audience": 3}])


class Day(BaseModel):
    date: date
    enrolled: Split
    exited: Split
    conversions: Split
    revenue: Split = Field(
        description="Net revenue (minor units, refunds off) of the day's conversions",
    )
    revenue_per_member: Split = Field(
        description="The day's revenue over the arm's enrollments so far (those enrolled by "
        "the day's end), rounded to whole minor units: what makes the arms comparable",
        examples=[{"treated": 1250, "holdout": 900}],
    )


class StepReport(BaseModel):
    chain_id: str
    versions: list[VersionSteps]
    daily: list[Day] = Field(
        description="UTC days with any enrollment, exit or conversion: counts, and the "
        "conversions' revenue in total and per member of each arm"
    )
