"""Notifier' background process: event consumers and the outbox relay."""

from kit.worker import main, relay_and_consumers
from notifier.events import subscriptions
from notifier.models import outbox
from notifier.settings import NotifierSettings

if __name__ == "__main__":
    main(NotifierSettings(), relay_and_consumers(outbox.table, lambda r: subscriptions(r.sessions)))
