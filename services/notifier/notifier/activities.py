"""The delivery workflow's side effects; each commits once, at the activity boundary."""

from collections.abc import Callable
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from kit.db import SessionFactory, unit_of_work
from notifier import deliveries
from notifier.policy_store import PolicyStore
from notifier.providers import Provider
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

    @activity.defn(name="open_delivery")
    async def open_delivery(self, request: DeliveryRequest) -> Opened:
        try:
            async with unit_of_work(self.sessions) as session:
                return deliveries.opened(await deliveries.open_delivery(session, request))
        except deliveries.IdempotencyKeyReused as exc:
            raise ApplicationError(str(exc), type=exc.code, non_retryable=True) from exc

    @activity.defn(name="decide")
    async def decide(self, ask: DecideInput) -> DecisionOut:
        async with unit_of_work(self.sessions) as session:
            return await deliveries.decide(session, self.store, self.settings, ask)

    @activity.defn(name="attempt")
    async def attempt(self, ask: AttemptInput) -> AttemptOutcome:
        async with unit_of_work(self.sessions) as session:
            return await deliveries.attempt(session, self.providers, self.settings, ask)

    @activity.defn(name="finish")
    async def finish(self, ask: FinishInput) -> DeliveryResult:
        async with unit_of_work(self.sessions) as session:
            return await deliveries.finish(session, ask.delivery_id, ask.reason)

    def all(self) -> list[Callable[..., Any]]:
        return [self.open_delivery, self.decide, self.attempt, self.finish]
