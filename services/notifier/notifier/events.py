"""What the notifier consumes: registrations carry the contacts and consents."""

from kit.bus import Subscription
from kit.consumers import idempotent
from kit.contracts import MemberRegistered
from kit.db import SessionFactory
from notifier import service
from notifier.models import processed_events

CONSUMER = "notifier"


def subscriptions(sessions: SessionFactory) -> list[Subscription]:
    return [
        Subscription(
            CONSUMER,
            MemberRegistered,
            idempotent(sessions, processed_events, CONSUMER, service.record_contact),
        )
    ]
