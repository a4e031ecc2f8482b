"""Chains, versions, enrollments and campaigns as the marketer API reads and writes them."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.marketer.definition import ChainDefinition, ChainId, Channel
from kit.contracts.analytics import AttributionWindowDays, HoldoutShare


class ChainOut(BaseModel):
    """A chain: its status (`draft`, `active`, `paused`, `archived`), live version and draft."""

    id: str
    name: str
    status: str
    active_version: int | None
    draft: ChainDefinition
    created_at: datetime
    updated_at: datetime


class VersionOut(BaseModel):
    """A published version: immutable; an enrollment stays on the version it entered."""

    chain_id: str
    version: int
    published_at: datetime
    definition: ChainDefinition


class TemplateCopy(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"id": "winback"}]})

    id: ChainId


class Validated(BaseModel):
    valid: bool


class EnrollmentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"customer_id": "c0a8012e-7d4b-4a43-9f65-2f0f3c9b6b11"}]},
    )

    customer_id: str = Field(min_length=1, max_length=36)
    time_zone: str | None = None


class EnrollmentOut(BaseModel):
    """One customer's enrollment: `running` with its current step, or how it ended."""

    workflow_id: str
    chain_id: str
    customer_id: str
    status: str
    version: int | None = None
    holdout: bool | None = None
    step: str | None = None
    touches: int | None = None
    exit_reason: str | None = None


class Cancelled(BaseModel):
    cancelled: bool


class CampaignGrant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: int = Field(gt=0, le=1_000_000)
    lifetime_days: int = Field(gt=0, le=3650)
    restrictions: dict[str, Any] | None = None


class CampaignMessage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    template: str = Field(min_length=1, max_length=100)
    channels: list[Channel] = Field(default=["email"], min_length=1, max_length=4)
    reaction_window_seconds: int | None = Field(default=None, gt=0)
    sms_only_if_no_other_channel: bool = False
    variables: dict[str, str | int] = {}


CAMPAIGN_EXAMPLE: dict[str, Any] = {
    "name": "500 points for 3 days",
    "segment": "recency.cooling",
    "grant": {"amount": 500, "lifetime_days": 3},
    "message": {"template": "mass_bonus", "channels": ["push", "email"]},
    "rate_per_second": 100,
}


class CampaignCreate(BaseModel):
    """A one-off send or grant (or both) to every member of a segment segments knows."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [CAMPAIGN_EXAMPLE]})

    name: str = Field(min_length=1, max_length=200)
    segment: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
    grant: CampaignGrant | None = None
    message: CampaignMessage | None = None
    rate_per_second: int = Field(default=100, gt=0, le=10_000)
    batch_size: int | None = Field(default=None, gt=0, le=1000)
    holdout_share: HoldoutShare = 0.1
    attribution_window_days: AttributionWindowDays = 14


class CampaignProgress(BaseModel):
    """What the campaign did itself: members processed, points granted, messages handed to
    the notifier (or refused by it for good)."""

    processed: int = Field(description="Members the campaign has gone through")
    granted: int = Field(description="Members granted the campaign's points")
    handed_over: int = Field(description="Messages the notifier accepted; see `messages`")
    refused: int = Field(description="Members the notifier or loyalty refused for good")


class MessageOutcomes(BaseModel):
    """What became of the campaign's messages, from the notifier's deliveries."""

    total: int
    sent: int = Field(description="Left for the customer: sent, delivered, opened, clicked")
    pending: int = Field(description="Accepted, not decided yet")
    deferred: dict[str, int] = Field(description="Waiting, by reason: daily_cap, quiet_hours, …")
    failed: dict[str, int] = Field(description="A provider or the template failed, by reason")
    skipped: dict[str, int] = Field(description="Not tried, by reason: no_consent, daily_cap, …")


class CampaignOut(BaseModel):
    """A campaign: `draft`, `running`, `paused`, `completed` or `failed`, and its progress."""

    id: str
    name: str
    segment: str
    grant: CampaignGrant | None
    message: CampaignMessage | None
    rate_per_second: int
    batch_size: int
    holdout_share: float
    attribution_window_days: int
    status: str
    runs: int
    progress: CampaignProgress
    messages: MessageOutcomes | None = Field(
        default=None, description="On `GET /campaigns/{id}`; null if the notifier is down"
    )
    created_at: datetime
    updated_at: datetime


CampaignAction = Literal["start", "pause", "resume"]


class ControlGroupIn(BaseModel):
    """The programme-wide share of customers no chain or campaign markets to, from now on."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"share": 0.05}]})

    share: float = Field(ge=0.0, le=0.5, description="A fraction of all customers, 0 to 0.5")
