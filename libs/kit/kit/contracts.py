"""Every event that crosses a service boundary, defined once."""

from datetime import date
from typing import Literal

from kit.events import Event, EventRegistry, Payload

Channel = Literal["email", "sms", "push", "messenger"]


class MemberRegisteredPayload(Payload):
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    birthday: date | None = None
    city: str | None = None
    time_zone: str = "UTC"
    consents: dict[Channel, bool] = {}


class MemberRegistered(Event):
    source = "loyalty"
    type: Literal["member.registered"] = "member.registered"
    version: Literal[1] = 1
    payload: MemberRegisteredPayload


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


class ChainEnrolledPayload(Payload):
    chain_id: str
    workflow_id: str


class ChainEnrolled(Event):
    source = "orchestrator"
    type: Literal["chain.enrolled"] = "chain.enrolled"
    version: Literal[1] = 1
    payload: ChainEnrolledPayload


SOURCES = ("loyalty", "segments", "notifier", "orchestrator", "gateway")
REGISTRY = EventRegistry(MemberRegistered, MessageSent, ChainEnrolled)
