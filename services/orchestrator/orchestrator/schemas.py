from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kit.contracts.analytics import AttributionWindowDays, HoldoutShare
from kit.contracts.common import Channel
from kit.schemas import StrictModel
from orchestrator.campaigns.messages import CampaignGrant, CampaignMessage
from orchestrator.definitions.model import ChainDefinition, ChainId


class EnrollmentOut(BaseModel):
    workflow_id: str
    chain_id: str
    customer_id: str
    status: str
    version: int | None = None
    holdout: bool | None = None
    step: str | None = None
    touches: int | None = None
    exit_reason: str | None = None


class EnrollmentItem(BaseModel):
    customer_id: str
    workflow_id: str
    version: int
    holdout: bool
    status: str = Field(description="`active` or `exited`")
    step: str | None = Field(description="The step an active enrollment is at now")
    touches: int
    exit_reason: str | None
    enrolled_at: datetime
    exited_at: datetime | None


class EnrollmentCounts(BaseModel):
    """Over every enrollment of the chain, not only the page."""

    total: int = 0
    by_status: dict[str, int] = {}
    by_version: dict[str, int] = {}
    by_exit_reason: dict[str, int] = {}
    by_step: dict[str, int] = Field(
        default={},
        description="By the step an active enrollment is at, or an exited one left the chain at",
    )


class EnrollmentPage(BaseModel):
    chain_id: str
    counts: EnrollmentCounts
    items: list[EnrollmentItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; None: last")


class Cancelled(BaseModel):
    cancelled: bool


class EnrollmentCreate(StrictModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: str = Field(min_length=1, max_length=36)
    time_zone: str | None = None


class StepTestSend(StrictModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: str = Field(min_length=1, max_length=36, description="A test recipient")
    channel: Channel | None = Field(default=None, description="One of the step's; its first")


class StepTestSent(BaseModel):
    chain_id: str
    step_id: str
    delivery_id: str
    template: str
    channel: str
    customer_id: str
    status: str
    subject: str | None
    body: str
    sampled_variables: list[str]


class ChainOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    status: str
    active_version: int | None
    draft: ChainDefinition
    created_at: datetime
    updated_at: datetime


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    chain_id: str
    version: int
    published_at: datetime
    definition: ChainDefinition


class TemplateCopy(StrictModel):
    model_config = ConfigDict(extra="forbid")

    id: ChainId


class Validated(BaseModel):
    valid: bool


class CampaignCreate(StrictModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    segment: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        description="segment id (or `all_members`, made to exist)",
        examples=["recency.cooling"],
    )
    grant: CampaignGrant | None = None
    message: CampaignMessage | None = None
    rate_per_second: int = Field(default=100, gt=0, le=10_000)
    batch_size: int | None = Field(default=None, gt=0, le=1000)
    holdout_share: HoldoutShare = 0.1
    attribution_window_days: AttributionWindowDays = 14

    @model_validator(mode="after")
    def _does_something(self) -> "CampaignCreate":
        if self.grant is None and self.message is None:
            raise ValueError("a campaign needs a grant, a message or both")
        return self


class CampaignProgress(BaseModel):
    """What the campaign did itself: members processed, points granted, messages handed to
    the notifier (or refused by it for good)."""

    processed: int
    granted: int
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
    model_config = ConfigDict(from_attributes=True)

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
