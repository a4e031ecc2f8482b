from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orchestrator.campaigns.messages import CampaignGrant, CampaignMessage, Progress
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


class EnrollmentPage(BaseModel):
    chain_id: str
    counts: EnrollmentCounts
    items: list[EnrollmentItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; None: last")


class EnrollmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: str = Field(min_length=1, max_length=36)
    time_zone: str | None = None


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


class TemplateCopy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ChainId


class Validated(BaseModel):
    valid: bool


class CampaignCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    segment: str = Field(min_length=1, max_length=100, description="segment id")
    grant: CampaignGrant | None = None
    message: CampaignMessage | None = None
    rate_per_second: int = Field(default=100, gt=0, le=10_000)
    batch_size: int | None = Field(default=None, gt=0, le=1000)

    @model_validator(mode="after")
    def _does_something(self) -> "CampaignCreate":
        if self.grant is None and self.message is None:
            raise ValueError("a campaign needs a grant, a message or both")
        return self


class CampaignOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    segment: str
    grant: CampaignGrant | None
    message: CampaignMessage | None
    rate_per_second: int
    batch_size: int
    status: str
    runs: int
    progress: Progress
    created_at: datetime
    updated_at: datetime
