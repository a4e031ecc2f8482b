"""What segments consumes: each subscription is a durable JetStream consumer."""

from kit.bus import Subscription
from kit.consumers import idempotent
from kit.contracts import MemberRegistered
from kit.db import SessionFactory
from segments import service
from segments.models import processed_events

CONSUMER = "segments"


def subscriptions(sessions: SessionFactory) -> list[Subscription]:
    return [
        Subscription(
            CONSUMER,
            MemberRegistered,
            idempotent(sessions, processed_events, CONSUMER, service.record_registration),
        )
    ]
