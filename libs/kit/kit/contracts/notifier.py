"""Events the notifier publishes, one per step of a message's life."""

from typing import Literal

from kit.contracts.common import Channel
from kit.events import Event, Payload


class MessagePayload(Payload):
    delivery_id: str
    channel: Channel
    template: str
    source_ref: str  # who asked: e.g. chain:{chain_id}:v{version}:{step}
    reason: str | None = None  # why it failed, when it did
    segments: int = 1  # an SMS attempt is billed once per segment of its rendered text


MessageSentPayload = MessagePayload


class MessageSent(Event):
    source = "notifier"
    type: Literal["message.sent"] = "message.sent"
    version: Literal[1] = 1
    payload: MessagePayload


class MessageDelivered(Event):
    source = "notifier"
    type: Literal["message.delivered"] = "message.delivered"
    version: Literal[1] = 1
    payload: MessagePayload


class MessageOpened(Event):
    source = "notifier"
    type: Literal["message.opened"] = "message.opened"
    version: Literal[1] = 1
    payload: MessagePayload


class MessageClicked(Event):
    source = "notifier"
    type: Literal["message.clicked"] = "message.clicked"
    version: Literal[1] = 1
    payload: MessagePayload


class MessageFailed(Event):
    source = "notifier"
    type: Literal["message.failed"] = "message.failed"
    version: Literal[1] = 1
    payload: MessagePayload


EVENTS: tuple[type[Event], ...] = (
    MessageSent,
    MessageDelivered,
    MessageOpened,
    MessageClicked,
    MessageFailed,
)
