"""Inputs and results of the campaign workflow and its activities."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kit.contracts.common import Channel


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CampaignGrant(_Frozen):
    amount: int = Field(gt=0, le=1_000_000)
    lifetime_days: int = Field(gt=0, le=3650)
    restrictions: dict[str, Any] | None = None


class CampaignMessage(_Frozen):
    template: str = Field(min_length=1, max_length=100)
    channels: list[Channel] = Field(default=["email"], min_length=1, max_length=4)
    reaction_window_seconds: int | None = Field(default=None, gt=0)
    sms_only_if_no_other_channel: bool = False
    variables: dict[str, str | int] = {}


class Progress(_Frozen):
    processed: int = 0
    granted: int = 0
    sent: int = 0
    failed: int = 0

    def __add__(self, other: "Progress") -> "Progress":
        return Progress(
            processed=self.processed + other.processed,
            granted=self.granted + other.granted,
            sent=self.sent + other.sent,
            failed=self.failed + other.failed,
        )


class BulkGrant(_Frozen):
    """loyalty `POST /grants/bulk`: one lot per member, one idempotency key for the batch."""

    idempotency_key: str
    member_ids: list[str]
    amount: int
    lifetime_days: int
    source: Literal["campaign"] = "campaign"
    reference: str | None = None
    restrictions: dict[str, Any] | None = None


class BulkGranted(_Frozen):
    grant_id: str
    granted: int
    skipped: int  # members loyalty does not know


class CampaignInput(_Frozen):
    campaign_id: str
    segment: str
    grant: CampaignGrant | None = None
    message: CampaignMessage | None = None
    rate_per_second: int
    batch_size: int
    # Runs started before campaigns had a holdout carry none: their histories replay as they ran.
    holdout_share: float = 0.0
    cursor: str | None = None
    progress: Progress = Progress()


class PageRequest(_Frozen):
    segment: str
    cursor: str | None
    limit: int


class Page(_Frozen):
    members: list[str]
    next_cursor: str | None = None


class Batch(_Frozen):
    campaign_id: str
    members: list[str]
    grant: CampaignGrant | None = None
    message: CampaignMessage | None = None
    holdout_share: float = 0.0


class CampaignStatus(_Frozen):
    state: Literal["running", "paused"]
    progress: Progress
