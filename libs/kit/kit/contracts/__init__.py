"""Every event that crosses a service boundary, defined once: one module per publisher.

Each module lists its events in ``EVENTS``; the registry maps subjects back to classes.
"""

from kit.contracts import gateway, loyalty, notifier, orchestrator, segments
from kit.contracts.common import Channel
from kit.contracts.loyalty import MemberRegistered, MemberRegisteredPayload
from kit.contracts.notifier import MessageSent, MessageSentPayload
from kit.contracts.orchestrator import ChainEnrolled, ChainEnrolledPayload
from kit.events import EventRegistry

SOURCES = ("loyalty", "segments", "notifier", "orchestrator", "gateway")
REGISTRY = EventRegistry(
    *loyalty.EVENTS, *segments.EVENTS, *notifier.EVENTS, *orchestrator.EVENTS, *gateway.EVENTS
)

__all__ = [
    "REGISTRY",
    "SOURCES",
    "ChainEnrolled",
    "ChainEnrolledPayload",
    "Channel",
    "MemberRegistered",
    "MemberRegisteredPayload",
    "MessageSent",
    "MessageSentPayload",
]
