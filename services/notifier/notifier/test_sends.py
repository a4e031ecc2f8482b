"""Test sends: a template, as a chosen test recipient would get it, sent at once.

Marked as test (source `test:<template>`), they skip the communication policy entirely, so they
never use the customer's daily quota, and leave no `message.*` event, so no analytics counts
them. Only contacts flagged as test recipients receive them.
"""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from kit.errors import Conflict
from notifier import deliveries
from notifier.models import Attempt, Contact, Delivery
from notifier.previews import render_for
from notifier.providers import OutgoingMessage, Undeliverable, open_providers, provider_client
from notifier.schemas import TestSendIn, TestSendOut
from notifier.settings import NotifierSettings
from notifier.templates import Rendered

TEST_SOURCE = "test:"


class NotATestRecipient(Conflict):
    code = "not_a_test_recipient"
    title = "Test sends go only to customers flagged as test recipients"


class TestRecipientUnreachable(Conflict):
    code = "test_recipient_unreachable"
    title = "The test recipient cannot be reached on this channel"


class TestSendFailed(Conflict):
    code = "test_send_failed"
    title = "The provider refused the test send"


async def test_send(
    session: AsyncSession, settings: NotifierSettings, name: str, channel: str, body: TestSendIn
) -> TestSendOut:
    delivery_id = str(uuid.uuid4())
    attempt_id = f"{delivery_id}:0"
    links = {
        "click_url": deliveries.tracking_url(
            settings, "c", {"a": attempt_id, "u": settings.default_link}
        ),
        "unsubscribe_url": deliveries.unsubscribe_url(settings, body.customer_id, channel),
    }
    found = await render_for(session, name, channel, body, links)
    if not found.contact.test_recipient:
        raise NotATestRecipient()
    why = deliveries.reachable(found.contact, channel)
    if why:
        raise TestRecipientUnreachable(f"{channel}: {why}", reason=why)
    await _send(settings, found.contact, channel, attempt_id, found.rendered)
    await _record(session, found.contact, name, channel, delivery_id, attempt_id)
    return TestSendOut(
        delivery_id=delivery_id,
        template=name,
        channel=channel,
        customer_id=found.contact.customer_id,
        status="sent",
        subject=found.rendered.subject,
        body=found.rendered.body,
        sampled_variables=found.sampled,
    )


async def _send(
    settings: NotifierSettings, contact: Contact, channel: str, attempt_id: str, text: Rendered
) -> None:
    to = {
        "email": contact.email,
        "sms": contact.phone,
        "messenger": contact.phone,
        "push": next(iter((contact.push_tokens or {}).values()), None),
    }[channel]
    message = OutgoingMessage(attempt_id, channel, str(to), text.subject, text.body)
    async with provider_client(settings) as client:
        try:
            await open_providers(settings, client)[channel].send(message)
        except Undeliverable as exc:
            raise TestSendFailed(exc.reason, reason=exc.reason) from exc


async def _record(
    session: AsyncSession,
    contact: Contact,
    name: str,
    channel: str,
    delivery_id: str,
    attempt_id: str,
) -> None:
    """Shown in the recipient's messages, marked by its source; no event leaves for it."""
    now = utcnow()
    session.add(
        Delivery(
            id=delivery_id,
            idempotency_key=f"test/{delivery_id}",
            request_hash="",
            customer_id=contact.customer_id,
            channel=channel,
            channels=[channel],
            template=name,
            source=f"{TEST_SOURCE}{name}",
            status="sent",
            created_at=now,
            sent_at=now,
        )
    )
    await session.flush()  # the attempt's foreign key needs the delivery's row first
    session.add(
        Attempt(
            id=attempt_id,
            delivery_id=delivery_id,
            position=0,
            channel=channel,
            status="sent",
            cost=0,
            created_at=now,
            sent_at=now,
        )
    )
