"""The notifier's delivery workflow as others start it: name, id scheme, input and result.

The orchestrator starts `DeliveryWorkflow` as a child on the notifier's task queue; the notifier
starts it for `POST /deliveries`. Both take these names from here, so the id that makes a
delivery happen once per idempotency key is computed one way only.
"""

from typing import Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from kit.contracts.common import Channel

DELIVERY_WORKFLOW = "DeliveryWorkflow"


def delivery_workflow_id(idempotency_key: str) -> str:
    return f"delivery/{idempotency_key}"


class DeliveryRequest(BaseModel):
    """`POST /deliveries` and the input of `DeliveryWorkflow` (also when started as a child)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    idempotency_key: str = Field(min_length=1, max_length=300)
    customer_id: str = Field(min_length=1, max_length=36)
    template: str = Field(min_length=1, max_length=100)
    source: str = Field(min_length=1, max_length=200)
    variables: dict[str, Any] = {}
    channel: Channel = "email"
    channels: list[Channel] | None = Field(default=None, min_length=1, max_length=4)
    reaction_window_seconds: int = Field(default=3600, ge=1, le=7 * 24 * 3600)
    critical: bool = False
    sms_only_if_no_other_channel: bool = False

    @model_validator(mode="after")
    def _channels_unique(self) -> Self:
        if self.channels and len(set(self.channels)) != len(self.channels):
            raise ValueError("channels must not repeat")
        return self

    @property
    def cascade(self) -> list[str]:
        return list(self.channels or [self.channel])


class DeliveryResult(BaseModel):
    """The delivery's final status (`sent`, `delivered`, `opened`, `clicked`, or `failed` when
    no channel took it) and the channel that took it. Unknown fields are ignored, so a result
    that grows a field reaches a chain running on older code."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    delivery_id: str
    status: str
    channel: str | None = None


class DryRunDelivery(BaseModel):
    """`POST /deliveries/dry-run`: what the notifier would decide for a message at `at`, had a
    chain's dry run sent it. Nothing is sent, recorded or counted against the cap."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    customer_id: str = Field(min_length=1, max_length=36)
    template: str = Field(min_length=1, max_length=100)
    source: str = Field(min_length=1, max_length=200)
    channels: list[Channel] = Field(min_length=1, max_length=4)
    at: AwareDatetime
    critical: bool = False
    sms_only_if_no_other_channel: bool = False
    planned: list[AwareDatetime] = Field(
        default=[],
        max_length=500,
        description="When the same dry run sent before: they count against the cap and pause",
    )


class SkippedChannel(BaseModel):
    channel: Channel
    reason: str = Field(
        examples=["no_consent", "no_address", "other_channel_available", "no_template"]
    )


class DryRunDecision(BaseModel):
    """`send` (on `channel`), `defer` (until `until`, then ask again), `drop` (over the cap, the
    policy drops), or `skip` (no channel of the cascade reaches the customer)."""

    model_config = ConfigDict(frozen=True)

    action: Literal["send", "defer", "drop", "skip"]
    reason: str
    until: AwareDatetime | None = None
    channel: Channel | None = None
    skipped: list[SkippedChannel] = []
