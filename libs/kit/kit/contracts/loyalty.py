"""Events loyalty publishes."""

from datetime import date
from typing import Literal

from kit.contracts.common import Channel
from kit.events import Event, Payload


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


EVENTS: tuple[type[Event], ...] = (MemberRegistered,)
