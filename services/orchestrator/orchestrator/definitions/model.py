"""A chain as data: trigger, audience, steps, exit conditions, goal and holdout.

Pure pydantic: the API validates with it, the workflow interprets it, and the version a customer
entered with travels inside the workflow input, so an edit never reaches running enrollments.
"""

from datetime import time, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from kit.contracts.common import Channel, StoreChannel


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be a positive duration")
    if value.microseconds:
        raise ValueError("must be whole seconds")
    return value


def iso_duration(value: timedelta) -> str:
    """Days and seconds (`P406D`, `PT90S`, `P1DT3600S`): RFC 3339's duration, which JSON Schema's
    `format: duration` checks; pydantic's own `P1Y41D` has no month and is not one."""
    days, seconds = value.days, value.seconds
    if not seconds:
        return f"P{days}D"
    return f"P{days}DT{seconds}S" if days else f"PT{seconds}S"


Duration = Annotated[
    timedelta,
    AfterValidator(_positive),
    PlainSerializer(iso_duration, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "duration", "examples": ["P14D", "PT3600S"]}),
]
STEP_ID = r"^[a-z0-9_]{1,50}$"
StepId = Annotated[str, Field(pattern=STEP_ID)]
ChainId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,49}$")]
# A wall-clock time with no offset (the customer's zone applies): not JSON Schema's `time`,
# which demands one.
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
TriggerEventType = Literal[
    "member.registered",
    "purchase.confirmed",
    "purchase.returned",
    "cart.updated",
    "bonus.expiring",
    "member.tier_changed",
]
# Events a running enrollment hears about (through the `customer_event` or `message_event` signal).
WaitableEvent = Literal[
    "purchase",
    "purchase.returned",
    "cart.updated",
    "message.delivered",
    "message.opened",
    "message.clicked",
    "message.failed",
]
ExitEvent = Literal["cart.cleared", "purchase.returned", "member.tier_changed"]


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Filter(_Data):
    """A test on the trigger's facts: `payload.*` of the event, `facts.*` the orchestrator keeps."""

    field: str = Field(pattern=r"^(payload|facts)\.[a-z0-9_.]+$")
    op: Literal["eq", "ne", "in", "gt", "gte", "lt", "lte", "exists"] = "eq"
    value: Any = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> "Filter":
        if self.op == "in" and not isinstance(self.value, list):
            raise ValueError("op 'in' needs a list value")
        if self.op != "exists" and self.value is None:
            raise ValueError(f"op '{self.op}' needs a value")
        return self


class EventTrigger(_Data):
    kind: Literal["event"] = "event"
    event: TriggerEventType
    filters: list[Filter] = []


SEGMENT_ENTERED = "segment.entered"  # the event a segment_entered trigger starts on


class SegmentEnteredTrigger(_Data):
    kind: Literal["segment_entered"] = "segment_entered"
    segments: list[str] = Field(min_length=1, description="segment ids or names")


class ScheduleTrigger(_Data):
    """Birthday (N days before, in the customer's zone), a calendar date, or every quarter."""

    kind: Literal["schedule"] = "schedule"
    schedule: Literal["birthday", "date", "quarterly"]
    days_before: int | None = Field(default=None, ge=0, le=60)
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)

    @model_validator(mode="after")
    def _fields_fit_schedule(self) -> "ScheduleTrigger":
        if self.schedule == "birthday" and self.days_before is None:
            raise ValueError("a birthday schedule needs days_before")
        if self.schedule == "date" and (self.month is None or self.day is None):
            raise ValueError("a date schedule needs month and day")
        return self


Trigger = Annotated[
    EventTrigger | SegmentEnteredTrigger | ScheduleTrigger, Field(discriminator="kind")
]


class Audience(_Data):
    segment_id: str | None = None
    reentry: Literal["never", "after_exit", "after_cooldown"] = "never"
    cooldown: Duration | None = None

    @model_validator(mode="after")
    def _cooldown_fits_policy(self) -> "Audience":
        if (self.reentry == "after_cooldown") != (self.cooldown is not None):
            raise ValueError("cooldown is required with, and only with, reentry 'after_cooldown'")
        return self


class _Step(_Data):
    id: StepId
    next: StepId | None = Field(default=None, description="default: the following step")


class SendStep(_Step):
    kind: Literal["send"] = "send"
    template: str = Field(min_length=1, max_length=100)
    channels: list[Channel] = Field(default=["email"], min_length=1, max_length=4)
    # on_undeliverable: the chain tries the next channel when one is undeliverable;
    # notifier_cascade: one delivery, the notifier's cascade with a reaction window.
    fallback: Literal["on_undeliverable", "notifier_cascade"] = "on_undeliverable"
    reaction_window: Duration | None = None
    sms_only_if_no_other_channel: bool = False
    variables: dict[str, str | int] = {}

    @model_validator(mode="after")
    def _channels_unique(self) -> "SendStep":
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels must not repeat")
        return self


class WaitDuration(_Data):
    type: Literal["duration"] = "duration"
    duration: Duration


class WaitUntilLocalTime(_Data):
    """The next time the customer's clock shows `at`, counted from `after_days` days on."""

    type: Literal["until_local_time"] = "until_local_time"
    at: LocalTime
    after_days: int = Field(default=0, ge=0, le=366)


class WaitForEvent(_Data):
    type: Literal["event"] = "event"
    event: WaitableEvent
    of_step: StepId | None = Field(default=None, description="for message events: whose send")
    timeout: Duration
    on_timeout: StepId | None = Field(default=None, description="default: the next step")


Wait = Annotated[WaitDuration | WaitUntilLocalTime | WaitForEvent, Field(discriminator="type")]


class WaitStep(_Step):
    kind: Literal["wait"] = "wait"
    wait: Wait


class Restrictions(_Data):
    categories: list[str] | None = None
    store_channels: list[StoreChannel] | None = None
    store_ids: list[str] | None = None
    cities: list[str] | None = None
    # Only in the customer's own city; a customer without one on file is granted nothing.
    own_city: bool | None = None

    @model_validator(mode="after")
    def _one_city_rule(self) -> "Restrictions":
        if self.own_city and self.cities:
            raise ValueError("give cities or own_city, not both")
        return self


class GrantBonusStep(_Step):
    kind: Literal["grant_bonus"] = "grant_bonus"
    amount: int = Field(gt=0, le=1_000_000)
    lifetime_days: int = Field(gt=0, le=3650)
    active_after_days: int = Field(default=0, ge=0, le=365)
    restrictions: Restrictions | None = None


class EventSeen(_Data):
    type: Literal["event_seen"] = "event_seen"
    event: WaitableEvent
    of_step: StepId | None = None


class AttributeIs(_Data):
    """A test on `profile.*` (segments' customer profile) or `trigger.*` (the trigger event)."""

    type: Literal["attribute"] = "attribute"
    field: str = Field(pattern=r"^(profile|trigger)\.[a-z0-9_.]+$")
    op: Literal["eq", "ne", "in", "gt", "gte", "lt", "lte", "exists"] = "eq"
    value: Any = None


class InSegment(_Data):
    type: Literal["in_segment"] = "in_segment"
    segment: str = Field(min_length=1, description="segment id or name")


Condition = Annotated[EventSeen | AttributeIs | InSegment, Field(discriminator="type")]


class BranchCase(_Data):
    when: Condition
    goto: StepId


class BranchStep(_Step):
    kind: Literal["branch"] = "branch"
    cases: list[BranchCase] = Field(min_length=1, max_length=20)


class ExitStep(_Step):
    kind: Literal["exit"] = "exit"
    reason: str = Field(default="completed", pattern=r"^[a-z0-9_]{1,50}$")


Step = Annotated[
    SendStep | WaitStep | GrantBonusStep | BranchStep | ExitStep, Field(discriminator="kind")
]


class ExitConditions(_Data):
    """Checked at every step and on every signal."""

    on_purchase: bool = True
    on_bonus_redeemed: bool = False
    on_enrollment_in: list[ChainId] = []
    on_events: list[ExitEvent] = []
    max_duration: Duration | None = None
    max_touches: int | None = Field(default=None, gt=0, le=100)


class Goal(_Data):
    event: Literal["purchase"] = "purchase"
    attribution_window: Duration = timedelta(days=14)


class ChainDefinition(_Data):
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

    def step(self, step_id: str) -> Step:
        return next(step for step in self.steps if step.id == step_id)

    def following(self, step_id: str) -> str | None:
        ids = [step.id for step in self.steps]
        index = ids.index(step_id) + 1
        return ids[index] if index < len(ids) else None

    def hears(self, event_type: str) -> bool:
        """Whether a running enrollment can act on this customer event: its trigger's (a
        refresh of what its messages personalise with), an exit's, or one a wait or a branch
        looks for. Any other event would cost its workflow a task and change nothing, so
        running enrollments are not signalled with it (`triggers.on_customer_event`)."""
        trigger = self.trigger
        if isinstance(trigger, SegmentEnteredTrigger):
            return event_type == SEGMENT_ENTERED
        if isinstance(trigger, EventTrigger) and event_type == trigger.event:
            return True
        return event_type in self.exits.on_events or event_type in self._looked_for()

    def _looked_for(self) -> set[str]:
        found: set[str] = set()
        for step in self.steps:
            if isinstance(step, WaitStep) and isinstance(step.wait, WaitForEvent):
                found.add(step.wait.event)
            elif isinstance(step, BranchStep):
                found.update(c.when.event for c in step.cases if isinstance(c.when, EventSeen))
        return found
