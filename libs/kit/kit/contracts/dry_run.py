"""A chain's dry run, defined once for the orchestrator that walks it and the gateway that
serves it to marketers: the path one customer would take (steps and times, each message's
channel and policy decision, each grant), with nothing sent, granted or counted.

The request names a chain definition, which each side types with its own model
(`DryRunRequest` is subclassed with `definition`); everything else is shared here.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from kit.contracts.common import Channel
from kit.contracts.delivery import SkippedChannel
from kit.schemas import StrictModel

StepId = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,50}$")]
REQUEST_EXAMPLE: dict[str, Any] = {
    "customer_id": "3f0c2a8e-4b1d-4c1e-9a57-2d1f0e6b7c90",
    "assume": {"purchase_at": "2026-03-20T12:00:00Z"},
}


class AssumedEvent(StrictModel):
    """An event the dry run assumes happens at `at`: `purchase`, a customer event the chain
    listens to (`cart.updated`, `purchase.returned`, …) or a reaction to a send step's message
    (`message.opened`, `message.clicked`, `message.delivered` with that step's id)."""

    type: str = Field(pattern=r"^[a-z_]{1,40}(\.[a-z_]{1,40})?$", examples=["message.clicked"])
    at: AwareDatetime
    step: StepId | None = None
    payload: dict[str, Any] = Field(default={}, max_length=50)


class Assumptions(StrictModel):
    purchase_at: AwareDatetime | None = Field(
        default=None, description="The customer buys at this time (the usual goal)"
    )
    events: list[AssumedEvent] = Field(default=[], max_length=100)
    trigger: dict[str, Any] = Field(
        default={}, max_length=50, description="The trigger's payload, e.g. a cart's `items`"
    )


class DryRunRequest(StrictModel):
    """What to walk (the draft, a `version`, or a `definition` the subclass adds) and how."""

    customer_id: str = Field(min_length=1, max_length=36)
    version: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="A published version; none: the draft"
    )
    start_at: AwareDatetime | None = Field(default=None, description="When it starts; now")
    time_zone: str | None = Field(
        default=None, max_length=64, description="The customer's zone; else their profile's"
    )
    assume: Assumptions = Assumptions()


class Deferral(BaseModel):
    reason: str = Field(examples=["quiet_hours", "daily_cap", "pause"])
    until: datetime


class DryRunMessage(BaseModel):
    """One message a send step would hand the notifier, and what the notifier would decide:
    `sent` (on `channel`, at `sent_at`, after any `deferrals`), `dropped` (over the cap),
    `skipped` (no channel reaches the customer), `deferred` (still held back when the chain
    stopped waiting, a day on) or `cancelled` (the chain ended while it was held back)."""

    template: str
    channels: list[Channel]
    asked_at: datetime
    decision: Literal["sent", "dropped", "skipped", "deferred", "cancelled"]
    reason: str | None = None
    channel: Channel | None = None
    sent_at: datetime | None = None
    deferrals: list[Deferral] = []
    skipped: list[SkippedChannel] = []


class DryRunGrant(BaseModel):
    amount: int
    lifetime_days: int
    active_from: datetime
    expires_at: datetime = Field(
        description="`active_from` + `lifetime_days`; loyalty burns the points at the end of "
        "that day in the programme's time zone"
    )


class DryRunStep(BaseModel):
    step_id: str
    kind: str
    visit: int
    at: datetime
    left_at: datetime
    next: str | None
    messages: list[DryRunMessage] = []
    grant: DryRunGrant | None = None


class DryRunOut(BaseModel):
    chain_id: str
    version: int | None = Field(description="The version walked; null for the draft or a body")
    customer_id: str
    holdout: bool = Field(
        description="The customer is in the chain's control group: really, they would get "
        "nothing; the path shows what the treated group gets"
    )
    started_at: datetime
    steps: list[DryRunStep]
    exit_reason: str
    exited_at: datetime
