"""Inputs, signals and results of chain workflows and their activities (versioned payloads)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ChainInput(_Frozen):
    chain_id: str
    version: int
    customer_id: str
    trigger_event_id: str


class TriggerSignalV1(_Frozen):
    version: Literal[1] = 1
    event_id: str
    event_type: str


class PurchaseSignalV1(_Frozen):
    version: Literal[1] = 1
    purchase_id: str
    occurred_at: datetime


ExitReason = Literal["purchase", "completed", "cancelled"]


class ChainResult(_Frozen):
    exit_reason: ExitReason
    touches: int


class ChainStatus(_Frozen):
    step: str
    touches: int
    purchased: bool


class SendMessage(_Frozen):
    idempotency_key: str
    customer_id: str
    template: str
    channel: Literal["email"] = "email"
    source: str


class SendResult(_Frozen):
    delivery_id: str
    status: str
    reason: str | None = None
