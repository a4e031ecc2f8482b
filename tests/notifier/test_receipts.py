"""A delivery receipt that overtakes its attempt's commit is not lost.

The HTTP sink calls back 50 ms after accepting an SMS; on a busy machine the attempt commits
later than that (the cause of a cascade test timing out under load, waiting for its receipt).
Here the SMS adapter is the real one, against the real sink, and the attempt is recorded a
second after the provider accepted it, as a loaded worker would."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from kit.stack import Infra
from kit.testing import wait_for
from notifier.providers import OutgoingMessage, Provider, Receipt
from tests.notifier.conftest import Notifier, Sinks, skipping_notifier

RECORDED_AFTER = 1.0  # seconds between the provider's answer and the attempt's commit


class SlowToRecord:
    def __init__(self, real: Provider) -> None:
        self.real = real

    async def send(self, message: OutgoingMessage) -> Receipt:
        receipt = await self.real.send(message)
        await asyncio.sleep(RECORDED_AFTER)
        return receipt


@pytest.fixture
async def notifier(
    infra: Infra, notifier_db: str, sinks: Sinks, time_skipping: WorkflowEnvironment
) -> AsyncIterator[Notifier]:
    def slow_sms(real: dict[str, Provider]) -> dict[str, Provider]:
        return {**real, "sms": SlowToRecord(real["sms"])}

    async with skipping_notifier(infra, notifier_db, sinks, time_skipping, slow_sms) as running:
        yield running


async def test_a_receipt_that_arrives_before_its_attempt_is_recorded_counts(
    notifier: Notifier,
) -> None:
    phone = "+4915100000077"
    customer = await notifier.contact(phone=phone, consents={"sms": True})
    delivery = await notifier.deliver(
        customer_id=customer, template="welcome_reminder", channel="sms", critical=True
    )
    await notifier.handle(delivery["idempotency_key"]).result()

    async def delivered() -> bool:
        return (await notifier.delivery(delivery["id"]))["status"] == "delivered"

    await wait_for(delivered, "the receipt that came before the attempt was recorded")
    attempt = (await notifier.delivery(delivery["id"]))["attempts"][0]
    assert attempt["status"] == "delivered"
