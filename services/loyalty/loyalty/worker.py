"""Loyalty's background process: the outbox relay (loyalty consumes no events)."""

from kit.worker import main, relay_and_consumers
from loyalty.models import outbox
from loyalty.settings import LoyaltySettings

if __name__ == "__main__":
    main(LoyaltySettings(), relay_and_consumers(outbox.table, lambda _resources: []))
