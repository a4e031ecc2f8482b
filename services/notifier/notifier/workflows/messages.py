"""Inputs, signals and results of the delivery workflow and its activities (versioned)."""

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

Channel = Literal["email", "sms", "push", "messenger"]
ReactionKind = Literal["delivered", "undelivered", "opened", "clicked", "failed"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


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


class DeliveryResult(_Frozen):
    delivery_id: str
    status: str
    channel: str | None = None


class Opened(_Frozen):
    delivery_id: str
    status: str
    finished: bool


class DecideInput(_Frozen):
    delivery_id: str
    at: datetime
    count: bool  # the first decision counts against the cap; later cascade steps only wait


class DecisionOut(_Frozen):
    action: Literal["send", "defer", "drop"]
    reason: str
    until: datetime | None = None


class AttemptInput(_Frozen):
    delivery_id: str
    channel: str
    position: int


class AttemptOutcome(_Frozen):
    attempt_id: str
    status: Literal["sent", "skipped", "failed"]
    reason: str | None = None


class FinishInput(_Frozen):
    delivery_id: str
    reason: str | None = None


class ReactionV1(_Frozen):
    version: Literal[1] = 1
    attempt_id: str
    kind: ReactionKind
    reason: str | None = None


class DeliveryStatus(_Frozen):
    step: str
    attempts: list[str]
    reactions: dict[str, str]
