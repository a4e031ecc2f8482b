"""Contacts and deliveries: who can be reached, and sending exactly once per request key."""

import hashlib
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from kit.contracts import MemberRegistered, MessageSent, MessageSentPayload
from kit.errors import Conflict, NotFound
from notifier import repository
from notifier.channels import EmailSender, OutgoingEmail
from notifier.models import Contact, Delivery, outbox
from notifier.schemas import DeliveryRequest
from notifier.templates import render_email


class ContactUnknown(Conflict):
    code = "contact_unknown"
    title = "The customer's contacts are not known yet"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = "This idempotency key was used with a different request"


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"
    title = "No delivery with this id"


async def record_contact(session: AsyncSession, event: MemberRegistered) -> None:
    assert event.customer_id is not None
    contact = await repository.get_contact(session, event.customer_id)
    if contact is None:
        contact = Contact(customer_id=event.customer_id)
        session.add(contact)
    payload = event.payload
    contact.name = payload.name
    contact.email = payload.email
    contact.phone = payload.phone
    contact.time_zone = payload.time_zone
    contact.consents = {str(channel): granted for channel, granted in payload.consents.items()}
    contact.updated_at = utcnow()


async def deliver(session: AsyncSession, request: DeliveryRequest, email: EmailSender) -> Delivery:
    """Sends at most once per idempotency key; a replay returns the first delivery."""
    request_hash = hashlib.sha256(request.model_dump_json().encode()).hexdigest()
    existing = await repository.delivery_by_key(session, request.idempotency_key)
    if existing is not None:
        if existing.request_hash != request_hash:
            raise IdempotencyKeyReused()
        return existing
    contact = await repository.get_contact(session, request.customer_id)
    if contact is None:
        raise ContactUnknown()
    delivery = _new_delivery(request, request_hash)
    session.add(delivery)
    reason = _unreachable_reason(contact, request.channel)
    if reason:
        delivery.status, delivery.reason = "skipped", reason
        return delivery
    assert contact.email is not None
    variables = {"name": contact.name or "there", **request.variables}
    rendered = render_email(request.template, variables)
    await email.send(OutgoingEmail(contact.email, rendered.subject, rendered.text, delivery.id))
    delivery.status, delivery.sent_at = "sent", utcnow()
    await outbox.add(session, _sent_event(delivery))
    return delivery


def _unreachable_reason(contact: Contact, channel: str) -> str | None:
    if not contact.consents.get(channel, False):
        return "no_consent"
    if channel == "email" and not contact.email:
        return "no_address"
    return None


def _new_delivery(request: DeliveryRequest, request_hash: str) -> Delivery:
    return Delivery(
        id=str(uuid.uuid4()),
        idempotency_key=request.idempotency_key,
        request_hash=request_hash,
        customer_id=request.customer_id,
        channel=request.channel,
        template=request.template,
        source=request.source,
        status="queued",
        created_at=utcnow(),
    )


def _sent_event(delivery: Delivery) -> MessageSent:
    payload = MessageSentPayload(
        delivery_id=delivery.id,
        channel="email",
        template=delivery.template,
        source_ref=delivery.source,
    )
    return MessageSent(customer_id=delivery.customer_id, payload=payload)


async def get_delivery(session: AsyncSession, delivery_id: str) -> Delivery:
    delivery = await repository.get_delivery(session, delivery_id)
    if delivery is None:
        raise DeliveryNotFound()
    return delivery
