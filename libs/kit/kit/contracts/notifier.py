"""Events the notifier publishes."""

from typing import Literal

from kit.contracts.common import Channel
from kit.events import Event, Payload


class MessageSentPayload(Payload):
    delivery_id: str
    channel: Channel
    template: str
    source_ref: str


class MessageSent(Event):
    source = "notifier"
    type: Literal["message.sent"] = "message.sent"
    version: Literal[1] = 1
    payload: MessageSentPayload


EVENTS: tuple[type[Event], ...] = (MessageSent,)
