"""The versioned event envelope every service publishes and consumes."""

from typing import Any, ClassVar, Self
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kit.clock import utcnow


class Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(BaseModel):
    """Envelope: id, type, occurred_at, customer_id, payload, version.

    Subclasses pin ``type`` and ``version`` with a literal default and name the ``source`` service;
    the NATS subject is derived from the three, e.g. ``loyalty.member_registered.v1``.
    """

    model_config = ConfigDict(frozen=True)

    source: ClassVar[str]
    id: UUID = Field(default_factory=uuid4)
    type: str
    version: int = 1
    occurred_at: AwareDatetime = Field(default_factory=utcnow)
    customer_id: str | None = None
    payload: Any
    # The W3C trace context of the request that caused the event (kit.tracing), written only
    # while tracing is on; as in CloudEvents' distributed tracing extension.
    traceparent: str | None = None
    tracestate: str | None = None

    @classmethod
    def subject(cls) -> str:
        event_type = str(cls.model_fields["type"].default)
        version = cls.model_fields["version"].default
        return f"{cls.source}.{event_type.replace('.', '_')}.v{version}"

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return cls.model_validate_json(data)

    def encode(self) -> bytes:
        # Without a trace the envelope stays as it always was.
        unset = {name for name in _TRACE_FIELDS if getattr(self, name) is None}
        return self.model_dump_json(exclude=unset or None).encode()


_TRACE_FIELDS = ("traceparent", "tracestate")


class EventRegistry:
    """Maps subjects back to event classes for consumers."""

    def __init__(self, *events: type[Event]) -> None:
        self._by_subject = {event.subject(): event for event in events}

    def __contains__(self, subject: str) -> bool:
        return subject in self._by_subject

    def decode(self, subject: str, data: bytes) -> Event:
        return self._by_subject[subject].decode(data)
