"""Inputs, signals and results of the delivery workflow and its activities (versioned)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from kit.contracts.common import Channel as Channel
from kit.contracts.delivery import DeliveryRequest as DeliveryRequest  # the shared contract
from kit.contracts.delivery import DeliveryResult as DeliveryResult

ReactionKind = Literal["delivered", "undelivered", "opened", "clicked", "failed"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class SendRetry(_Frozen):
    """How a channel's send is retried while a dependency is away, read from the settings when
    the delivery opens; the defaults are the bound of histories recorded before it was set."""

    attempts: int = 35
    backoff_seconds: float = 1.0  # the first wait, doubling up to the longest
    max_backoff_seconds: float = 60.0


class Opened(_Frozen):
    delivery_id: str
    status: str
    finished: bool
    send_retry: SendRetry = SendRetry()


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
