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


class EnrollmentList(BaseModel):
    """From Temporal's visibility, by the ChainId search attribute."""

    chain_id: str
    running: int
    total: int
    running_workflow_ids: list[str]


class Cancelled(BaseModel):
    cancelled: bool


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
