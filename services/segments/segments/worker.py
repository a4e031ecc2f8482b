"""Segments' background process: event consumers and the outbox relay."""

from kit.worker import main, relay_and_consumers
from segments.events import subscriptions
from segments.models import outbox
from segments.settings import SegmentsSettings

if __name__ == "__main__":
    main(SegmentsSettings(), relay_and_consumers(outbox.table, lambda r: subscriptions(r.sessions)))
