"""Two executions of one attempt at once send one message.

On a busy Temporal server a workflow task can time out while its local activity is still
talking to the provider; the task runs again and so does the attempt. Without a claim both
executions send: the chaos suite saw welcome e-mails arrive two and three times with one
Message-ID after a kill of the Temporal server. Real PostgreSQL, Redis, SMTP sink and
workflow; the first execution is held inside the real SMTP provider until the second has run.
"""

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from kit.db import create_engine, session_factory
from kit.stack import Infra
from kit.testing import unique, wait_for
from notifier.activities import DeliveryActivities
from notifier.deliveries import AttemptInFlight
from notifier.policy_store import PolicyStore
from notifier.providers import OutgoingMessage, Provider, Receipt, open_providers, provider_client
from notifier.workflows.messages import AttemptInput
from tests.notifier.conftest import Notifier, Sinks, skipping_notifier


class HeldProvider:
    """The real provider, entered and then held until the test lets the send go on."""

    def __init__(self, real: Provider) -> None:
        self.real = real
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def send(self, message: OutgoingMessage) -> Receipt:
        self.entered.set()
        await self.release.wait()
        return await self.real.send(message)


@pytest.fixture
async def engine(notifier_db: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(notifier_db)
    yield engine
    await engine.dispose()


async def test_an_attempt_run_twice_at_once_sends_one_message(
    infra: Infra,
    notifier_db: str,
    sinks: Sinks,
    time_skipping: WorkflowEnvironment,
    engine: AsyncEngine,
) -> None:
    held: dict[str, HeldProvider] = {}

    def holding(real: dict[str, Provider]) -> dict[str, Provider]:
        held["email"] = HeldProvider(real["email"])
        return {**real, "email": held["email"]}

    async with skipping_notifier(
        infra, notifier_db, sinks, time_skipping, providers=holding
    ) as notifier:
        await run_twice(notifier, held["email"], engine)


async def run_twice(notifier: Notifier, held: HeldProvider, engine: AsyncEngine) -> None:
    email = f"{unique('twice')}@example.com"
    customer = await notifier.contact(email=email, consents={"email": True})
    delivery = await notifier.deliver(
        customer_id=customer, template="welcome", channels=["email"], critical=True
    )
    await asyncio.wait_for(held.entered.wait(), 90)  # the workflow's execution, mid-send

    # The second execution of the same attempt, with the real SMTP provider, not held.
    redis = Redis.from_url(notifier.settings.redis_url)
    async with provider_client(notifier.settings) as client:
        again = DeliveryActivities(
            session_factory(engine),
            PolicyStore(redis),
            open_providers(notifier.settings, client),
            notifier.settings,
        )
        ask = AttemptInput(delivery_id=delivery["id"], channel="email", position=0)
        with pytest.raises(AttemptInFlight):
            await again.attempt(ask)
        held.release.set()
        result = await asyncio.wait_for(notifier.handle(delivery["idempotency_key"]).result(), 90)
        assert result.status == "sent"
        replayed = await again.attempt(ask)  # after the first: its outcome, nothing sent
        assert replayed.status == "sent"
    await redis.aclose()

    mail = await wait_for(lambda: notifier.mail_to(email), "the welcome e-mail")
    assert len(mail) == 1
