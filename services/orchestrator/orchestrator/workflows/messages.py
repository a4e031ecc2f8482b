"""Inputs, signals, results of chain workflows and their activities.

Signal payloads carry a ``version``: a running workflow keeps accepting the shapes it was
started with while senders move to newer ones (``PurchaseSignalV1 | PurchaseSignalV2``).
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from kit.contracts.common import Channel
from orchestrator.definitions.model import ChainDefinition


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class CustomerEventV1(_Frozen):
    """A customer's event the chain hears: the trigger, a cart refresh, a return."""

    version: Literal[1] = 1
    event_id: str
    event_type: str
    payload: dict[str, Any] = {}


class PurchaseSignalV1(_Frozen):
    version: Literal[1] = 1
    purchase_id: str
    occurred_at: datetime


class PurchaseSignalV2(_Frozen):
    version: Literal[2] = 2
    purchase_id: str
    occurred_at: datetime
    amount: int = 0
    redeemed_points: int = 0


PurchaseSignal = PurchaseSignalV1 | PurchaseSignalV2


class MessageEventV1(_Frozen):
    version: Literal[1] = 1
    event_type: str  # message.delivered, message.opened, message.clicked, message.failed
    delivery_id: str
    channel: Channel | None = None
    step: str | None = None


class CancelSignalV1(_Frozen):
    version: Literal[1] = 1
    reason: str = "cancelled"


class SeenEvent(_Frozen):
    event: str
    step: str | None = None
    seq: int


class EnrollmentState(BaseModel):
    """Everything an enrollment remembers; carried over a continue-as-new."""

    step: str | None = None
    touches: int = 0
    ghost_touches: int = 0  # holdout: the touches it would have had
    visits: dict[str, int] = {}
    seen: list[SeenEvent] = []
    deliveries: dict[str, str] = {}  # delivery id -> step id
    outcomes: dict[str, str] = {}  # delivery id -> the last message.* event heard
    granted_points: int = 0
    points_expire_at: datetime | None = None  # when the latest grant burns: messages say so
    exit_reason: str | None = None
    started_at: datetime | None = None
    last_touch_at: datetime | None = None
    trigger: dict[str, Any] = {}
    profile: dict[str, Any] | None = None

    def see(self, event: str, step: str | None = None) -> None:
        self.seen.append(SeenEvent(event=event, step=step, seq=len(self.seen)))

    def has_seen(self, event: str, step: str | None, since: int = 0) -> bool:
        return any(
            s.event == event and (step is None or s.step == step) and s.seq >= since
            for s in self.seen
        )

    def arrive(self, step_id: str) -> None:
        self.step = step_id
        self.visits[step_id] = self.visits.get(step_id, 0) + 1

    def exit(self, reason: str) -> None:
        if self.exit_reason is None:
            self.exit_reason = reason


class ChainInput(_Frozen):
    chain: ChainDefinition
    version: int
    customer_id: str
    enrollment_key: str  # the trigger event id: tells enrollments of one customer apart
    holdout: bool = False
    time_zone: str | None = None
    # Well under Temporal's 50 000-event limit: a long loop of waits rolls over before it.
    history_limit: int = 5_000
    carried: EnrollmentState | None = None
    # Where the notifier's DeliveryWorkflow runs: deliveries are child workflows there.
    notifier_task_queue: str = "notifier"


class ChainResult(_Frozen):
    exit_reason: str
    touches: int
    holdout: bool = False
    version: int = 1


class ChainStatus(_Frozen):
    step: str
    touches: int
    purchased: bool
    holdout: bool = False
    version: int = 1


class SendMessage(_Frozen):
    idempotency_key: str
    customer_id: str
    template: str
    source: str
    channel: Channel = "email"
    channels: list[Channel] | None = None  # a cascade the notifier runs
    reaction_window_seconds: int | None = None
    sms_only_if_no_other_channel: bool = False
    variables: dict[str, Any] = {}

    def notifier_body(self) -> dict[str, Any]:
        """Only the fields in use, so a notifier without cascades still accepts one channel."""
        body = self.model_dump(
            mode="json",
            exclude={"channels", "reaction_window_seconds", "sms_only_if_no_other_channel"},
        )
        if self.channels:
            body["channels"] = self.channels
            body["sms_only_if_no_other_channel"] = self.sms_only_if_no_other_channel
            if self.reaction_window_seconds is not None:
                body["reaction_window_seconds"] = self.reaction_window_seconds
        return body


class SendResult(_Frozen):
    delivery_id: str
    status: str
    channel: str | None = None
    reason: str | None = None


class GrantRequest(_Frozen):
    idempotency_key: str
    member_id: str
    amount: int
    lifetime_days: int
    active_from: datetime | None = None
    source: Literal["promo", "birthday", "campaign", "manual"] = "promo"
    reference: str | None = None
    restrictions: dict[str, Any] | None = None


class GrantResult(_Frozen):
    grant_id: str | None  # None: nothing granted (an own-city grant, and no city on file)
    amount: int
    expires_at: datetime | None = None  # None in histories recorded before it was kept


class CustomerFacts(_Frozen):
    profile: dict[str, Any] = {}
    segments: list[str] = []  # ids and names


class EnrollmentExit(_Frozen):
    workflow_id: str
    chain_id: str
    version: int
    customer_id: str
    enrollment_key: str
    reason: str
    touches: int
    holdout: bool
    last_touch_at: datetime | None
    exited_at: datetime
    step: str | None = None  # where it left the chain (None: before the first step)


class StepReached(_Frozen):
    """An enrollment arrived at a step (its `visit`-th time there)."""

    workflow_id: str
    chain_id: str
    version: int
    enrollment_key: str
    step: str
    visit: int
    holdout: bool
    reached_at: datetime
