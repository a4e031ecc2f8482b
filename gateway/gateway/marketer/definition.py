"""A chain as a marketer writes it: trigger, audience, steps, exits, goal and holdout.

The shapes only; the rules that span fields (a step's `next` names a step, an `in` filter takes
a list, …) are the orchestrator's, which answers 422 `chain_invalid` naming each problem.
"""

from datetime import time, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

Channel = Literal["email", "sms", "push", "messenger"]
StoreChannel = Literal["online", "offline"]


def iso_duration(value: timedelta) -> str:
    """`P14D`, `PT3600S`, `P1DT60S`: RFC 3339 durations, as the orchestrator writes them."""
    days, seconds = value.days, value.seconds
    if not seconds:
        return f"P{days}D"
    return f"P{days}DT{seconds}S" if days else f"PT{seconds}S"


Duration = Annotated[
    timedelta,
    PlainSerializer(iso_duration, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "duration", "examples": ["P14D", "PT3600S"]}),
]
LocalTime = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "format": "partial-time",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
            "examples": ["10:00", "19:30:00"],
        }
    ),
]
StepId = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,50}$")]
ChainId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,49}$")]
Op = Literal["eq", "ne", "in", "gt", "gte", "lt", "lte", "exists"]
WaitableEvent = Literal[
    "purchase",
    "purchase.returned",
    "cart.updated",
    "message.delivered",
    "message.opened",
    "message.clicked",
    "message.failed",
]


class Shape(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Filter(Shape):
    """A test on the trigger: `payload.*` of its event, or `facts.*` the orchestrator keeps."""

    field: str = Field(pattern=r"^(payload|facts)\.[a-z0-9_.]+$", examples=["payload.total"])
    op: Op = "eq"
    value: Any = None


class EventTrigger(Shape):
    kind: Literal["event"] = "event"
    event: Literal[
        "member.registered",
        "purchase.confirmed",
        "purchase.returned",
        "cart.updated",
        "bonus.expiring",
        "member.tier_changed",
    ]
    filters: list[Filter] = []


class SegmentEnteredTrigger(Shape):
    kind: Literal["segment_entered"] = "segment_entered"
    segments: list[str] = Field(min_length=1, examples=[["recency.cooling"]])


class ScheduleTrigger(Shape):
    """A birthday (`days_before` it), a calendar date (`month`, `day`), or every quarter."""

    kind: Literal["schedule"] = "schedule"
    schedule: Literal["birthday", "date", "quarterly"]
    days_before: int | None = Field(default=None, ge=0, le=60)
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)


Trigger = Annotated[
    EventTrigger | SegmentEnteredTrigger | ScheduleTrigger, Field(discriminator="kind")
]


class Audience(Shape):
    """Who may enter, and again when: `cooldown` goes with, and only with, `after_cooldown`."""

    segment_id: str | None = None
    reentry: Literal["never", "after_exit", "after_cooldown"] = "never"
    cooldown: Duration | None = None


class SendStep(Shape):
    """A message: the first channel that can take it, or the notifier's cascade."""

    id: StepId
    next: StepId | None = None
    kind: Literal["send"] = "send"
    template: str = Field(min_length=1, max_length=100, examples=["reactivation_offer"])
    channels: list[Channel] = Field(default=["email"], min_length=1, max_length=4)
    fallback: Literal["on_undeliverable", "notifier_cascade"] = "on_undeliverable"
    reaction_window: Duration | None = None
    sms_only_if_no_other_channel: bool = False
    variables: dict[str, str | int] = {}


class WaitDuration(Shape):
    type: Literal["duration"] = "duration"
    duration: Duration


class WaitUntilLocalTime(Shape):
    """The next time the customer's clock shows `at`, counted from `after_days` days on."""

    type: Literal["until_local_time"] = "until_local_time"
    at: LocalTime
    after_days: int = Field(default=0, ge=0, le=366)


class WaitForEvent(Shape):
    type: Literal["event"] = "event"
    event: WaitableEvent
    of_step: StepId | None = None
    timeout: Duration
    on_timeout: StepId | None = None


Wait = Annotated[WaitDuration | WaitUntilLocalTime | WaitForEvent, Field(discriminator="type")]


class WaitStep(Shape):
    id: StepId
    next: StepId | None = None
    kind: Literal["wait"] = "wait"
    wait: Wait


class Restrictions(Shape):
    categories: list[str] | None = None
    store_channels: list[StoreChannel] | None = None
    store_ids: list[str] | None = None
    cities: list[str] | None = None
    own_city: bool | None = None


class GrantBonusStep(Shape):
    """Points (an integer), spendable `active_after_days` on, for `lifetime_days`."""

    id: StepId
    next: StepId | None = None
    kind: Literal["grant_bonus"] = "grant_bonus"
    amount: int = Field(gt=0, le=1_000_000, examples=[300])
    lifetime_days: int = Field(gt=0, le=3650, examples=[14])
    active_after_days: int = Field(default=0, ge=0, le=365)
    restrictions: Restrictions | None = None


class EventSeen(Shape):
    type: Literal["event_seen"] = "event_seen"
    event: WaitableEvent
    of_step: StepId | None = None


class AttributeIs(Shape):
    """A test on `profile.*` (the customer) or `trigger.*` (the trigger event)."""

    type: Literal["attribute"] = "attribute"
    field: str = Field(pattern=r"^(profile|trigger)\.[a-z0-9_.]+$")
    op: Op = "eq"
    value: Any = None


class InSegment(Shape):
    type: Literal["in_segment"] = "in_segment"
    segment: str = Field(min_length=1)


Condition = Annotated[EventSeen | AttributeIs | InSegment, Field(discriminator="type")]


class BranchCase(Shape):
    when: Condition
    goto: StepId


class BranchStep(Shape):
    """The first case whose condition holds picks the next step; none: the following one."""

    id: StepId
    next: StepId | None = None
    kind: Literal["branch"] = "branch"
    cases: list[BranchCase] = Field(min_length=1, max_length=20)


class ExitStep(Shape):
    id: StepId
    next: StepId | None = None
    kind: Literal["exit"] = "exit"
    reason: str = Field(default="completed", pattern=r"^[a-z0-9_]{1,50}$")


Step = Annotated[
    SendStep | WaitStep | GrantBonusStep | BranchStep | ExitStep, Field(discriminator="kind")
]


class ExitConditions(Shape):
    """Checked at every step and on every signal; a purchase ends the chain by default."""

    on_purchase: bool = True
    on_bonus_redeemed: bool = False
    on_enrollment_in: list[ChainId] = []
    on_events: list[Literal["cart.cleared", "purchase.returned", "member.tier_changed"]] = []
    max_duration: Duration | None = None
    max_touches: int | None = Field(default=None, gt=0, le=100)


class Goal(Shape):
    event: Literal["purchase"] = "purchase"
    attribution_window: Duration = timedelta(days=14)


REACTIVATION_EXAMPLE: dict[str, Any] = {
    "id": "winback",
    "name": "Win back cooling customers",
    "trigger": {"kind": "segment_entered", "segments": ["recency.cooling"]},
    "steps": [
        {"kind": "grant_bonus", "id": "gift", "amount": 300, "lifetime_days": 14},
        {"kind": "send", "id": "offer", "template": "reactivation_offer", "channels": ["push"]},
        {"kind": "wait", "id": "pause", "wait": {"type": "duration", "duration": "P3D"}},
        {"kind": "send", "id": "reminder", "template": "reactivation_reminder"},
    ],
    "holdout_share": 0.1,
}


class ChainDefinition(Shape):
    """A chain: the trigger starts it, steps run in order (or by `next`), an exit ends it."""

    model_config = ConfigDict(json_schema_extra={"examples": [REACTIVATION_EXAMPLE]})

    schema_version: Literal[1] = 1
    id: ChainId
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    trigger: Trigger
    audience: Audience = Audience()
    steps: list[Step] = Field(min_length=1, max_length=100)
    exits: ExitConditions = ExitConditions()
    goal: Goal = Goal()
    holdout_share: float = Field(default=0.0, ge=0.0, le=0.5)
