"""Loyalty's background process: the outbox relay and the periodic ledger sweep."""

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from kit.outbox import OutboxRelay
from kit.resources import Resources
from kit.worker import main, pruning
from loyalty.expiry import sweep
from loyalty.models import outbox
from loyalty.pruning import targets
from loyalty.settings import LoyaltySettings

log = logging.getLogger(__name__)


async def sweep_periodically(
    resources: Resources, settings: LoyaltySettings, stop: asyncio.Event
) -> None:
    rules = settings.program_rules()
    while not stop.is_set():
        try:
            result = await sweep(resources.sessions, rules)
            if any(vars(result).values()):
                log.info("ledger sweep: %s", result)
        except Exception:
            log.exception("ledger sweep failed; retrying at the next interval")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.ledger_sweep_seconds)


def loops_for(settings: LoyaltySettings) -> Any:
    async def loops(resources: Resources, stop: asyncio.Event) -> list[Coroutine[Any, Any, None]]:
        relay = OutboxRelay(outbox.table, resources.sessions, resources.bus)
        return [
            relay.run(
                stop, settings.outbox_poll_seconds, linger_seconds=settings.outbox_linger_seconds
            ),
            sweep_periodically(resources, settings, stop),
            pruning(resources, targets(settings), stop),
        ]

    return loops


if __name__ == "__main__":
    worker_settings = LoyaltySettings()
    main(worker_settings, loops_for(worker_settings))
