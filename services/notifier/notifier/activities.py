"""The delivery workflow's side effects; each commits once, at the activity boundary."""

import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.exc import DBAPIError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from kit.db import SessionFactory, unit_of_work
from kit.errors import ServiceUnavailable
from notifier import deliveries
from notifier.policy_store import PolicyStore, RedisError
from notifier.providers import Provider
from notifier.sent_receipts import SentReceipts
from notifier.settings import NotifierSettings
from notifier.workflows.messages import (
    AttemptInput,
    AttemptOutcome,
    DecideInput,
    DecisionOut,
    DeliveryRequest,
    DeliveryResult,
    FinishInput,
    Opened,
)

log = logging.getLogger(__name__)
# How long a claim on an attempt is honoured: past the attempt's start-to-close timeout
# (60 s), its holder is dead and another execution may send.
ATTEMPT_LEASE = timedelta(seconds=90)
# What a retry can cure: a dependency that is down, slow or refused the connection.
INFRASTRUCTURE = (DBAPIError, OSError, httpx.TransportError, RedisError, ServiceUnavailable)


class DeliveryActivities:
    def __init__(
        self,
        sessions: SessionFactory,
        store: PolicyStore,
        providers: dict[str, Provider],
        settings: NotifierSettings,
    ) -> None:
        self.sessions = sessions
        self.store = store
        self.providers = providers
        self.settings = settings
        self.receipts = SentReceipts(store.redis, store.prefix)

    @activity.defn(name="open_delivery")
    async def open_delivery(self, request: DeliveryRequest) -> Opened:
        try:
            async with unit_of_work(self.sessions) as session:
                delivery = await deliveries.open_delivery(session, request)
                return deliveries.opened(delivery, self.settings)
        except deliveries.IdempotencyKeyReused as exc:
            raise ApplicationError(str(exc), type=exc.code, non_retryable=True) from exc

    @activity.defn(name="decide")
    async def decide(self, ask: DecideInput) -> DecisionOut:
        async with unit_of_work(self.sessions) as session:
            return await deliveries.decide(session, self.store, self.settings, ask)

    @activity.defn(name="attempt")
    async def attempt(self, ask: AttemptInput) -> AttemptOutcome:
        async with unit_of_work(self.sessions) as session:
            done = await deliveries.claim_attempt(session, ask, ATTEMPT_LEASE)
        if done is not None:
            return done
        try:
            async with unit_of_work(self.sessions) as session:
                return await deliveries.attempt(
                    session, self.providers, self.receipts, self.settings, ask
                )
        except INFRASTRUCTURE as exc:
            if _last_try():
                return await self._give_up(ask, exc)
            # The database, Redis or a provider is away and no outcome was recorded: the claim
            # goes back and the retry (within the bound) sends, unless the provider's receipt
            # shows that this try got the message out before the failure (sent_receipts).
            with contextlib.suppress(*INFRASTRUCTURE):
                async with unit_of_work(self.sessions) as session:
                    await deliveries.release_attempt(session, ask)
            raise
        except Exception as exc:
            # A poison message: this data fails the same way on every retry (a template that
            # divides by zero, an adapter that chokes on a value). Logged with its trace, the
            # channel fails for good with the error's name and the cascade moves on.
            reason = f"error:{type(exc).__name__}"
            log.exception("attempt %s failed for good", ask.delivery_id, extra={"reason": reason})
            async with unit_of_work(self.sessions) as session:
                return await deliveries.fail_attempt(session, ask, reason)

    async def _give_up(self, ask: AttemptInput, exc: Exception) -> AttemptOutcome:
        """The last try failed too: the channel fails for good with what kept it from sending,
        and the claim stays with it, so no late execution sends after the cascade moved on.
        With the database away as well, the workflow records `gave_up` on its own."""
        cause = exc.code if isinstance(exc, ServiceUnavailable) else type(exc).__name__
        log.warning("attempt %s gave up: %s", ask.delivery_id, exc)
        try:
            async with unit_of_work(self.sessions) as session:
                return await deliveries.fail_attempt(session, ask, f"gave_up:{cause}")
        except INFRASTRUCTURE:
            raise exc from None

    @activity.defn(name="finish")
    async def finish(self, ask: FinishInput) -> DeliveryResult:
        async with unit_of_work(self.sessions) as session:
            return await deliveries.finish(session, ask.delivery_id, ask.reason)

    def all(self) -> list[Callable[..., Any]]:
        return [self.open_delivery, self.decide, self.attempt, self.finish]


def _last_try() -> bool:
    """Whether the workflow's retry policy allows no further try of this activity."""
    info = activity.info()
    limit = info.retry_policy.maximum_attempts if info.retry_policy else 0
    return 0 < limit <= info.attempt
