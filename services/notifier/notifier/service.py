"""Contacts and consents per channel, templates per channel, communication policies."""

from datetime import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from kit.contracts import MemberRegistered
from kit.errors import DomainError, NotFound
from notifier import repository
from notifier.domain import sms
from notifier.domain.policy import PROGRAM, Limits, override_scope
from notifier.domain.quiet_hours import QuietHours
from notifier.models import ConsentChange, Contact, Policy, Template
from notifier.schemas import ContactIn, PolicyIn, PushTokenIn, SmsInfo, TemplateIn, TemplateOut
from notifier.settings import NotifierSettings
from notifier.templates import BUILT_IN, MessageTemplate, TemplateNotFound, check_names


class ContactNotFound(NotFound):
    code = "contact_not_found"
    title = "No contact for this customer"


class PolicyNotFound(NotFound):
    code = "policy_not_found"
    title = "No policy for this scope"


class InvalidScope(DomainError):
    code = "invalid_scope"
    status = 422
    title = "A policy scope is `program`, `chain:<id>` or `campaign:<id>`"


async def record_contact(session: AsyncSession, event: MemberRegistered) -> None:
    assert event.customer_id is not None
    payload = event.payload
    body = ContactIn.model_construct(
        name=payload.name,
        email=payload.email,
        phone=payload.phone,
        time_zone=payload.time_zone,
        consents=dict(payload.consents),
        source="registration",
    )
    await upsert_contact(session, event.customer_id, body)


async def upsert_contact(session: AsyncSession, customer_id: str, body: ContactIn) -> Contact:
    contact = await repository.get_contact(session, customer_id)
    if contact is None:
        contact = Contact(customer_id=customer_id, consents={}, push_tokens={})
        session.add(contact)
    contact.name, contact.email, contact.phone = body.name, body.email, body.phone
    contact.time_zone = body.time_zone
    for channel, granted in body.consents.items():
        _set_consent(session, contact, str(channel), granted, body.source)
    contact.updated_at = utcnow()
    return contact


async def get_contact(session: AsyncSession, customer_id: str) -> Contact:
    contact = await repository.get_contact(session, customer_id)
    if contact is None:
        raise ContactNotFound()
    return contact


async def set_consent(
    session: AsyncSession, customer_id: str, channel: str, granted: bool, source: str
) -> Contact:
    contact = await get_contact(session, customer_id)
    _set_consent(session, contact, channel, granted, source)
    contact.updated_at = utcnow()
    return contact


def _set_consent(
    session: AsyncSession, contact: Contact, channel: str, granted: bool, source: str
) -> None:
    """Keeps the current state on the contact and every change, with time and source."""
    if contact.consents.get(channel) == granted:
        return
    contact.consents = {**contact.consents, channel: granted}
    session.add(
        ConsentChange(
            customer_id=contact.customer_id,
            channel=channel,
            granted=granted,
            source=source,
            changed_at=utcnow(),
        )
    )


async def consent_history(session: AsyncSession, customer_id: str) -> list[ConsentChange]:
    await get_contact(session, customer_id)
    return await repository.consent_history(session, customer_id)


async def add_push_token(session: AsyncSession, customer_id: str, body: PushTokenIn) -> Contact:
    contact = await get_contact(session, customer_id)
    contact.push_tokens = {**(contact.push_tokens or {}), body.device_id: body.token}
    contact.updated_at = utcnow()
    return contact


async def remove_push_token(session: AsyncSession, customer_id: str, device_id: str) -> Contact:
    contact = await get_contact(session, customer_id)
    tokens = dict(contact.push_tokens or {})
    tokens.pop(device_id, None)
    contact.push_tokens = tokens
    contact.updated_at = utcnow()
    return contact


# --- templates ----------------------------------------------------------------------------


async def save_template(
    session: AsyncSession, name: str, channel: str, body: TemplateIn, settings: NotifierSettings
) -> TemplateOut:
    check_names([body.subject or "", body.body], body.variables)
    template = await repository.get_template(session, name, channel)
    if template is None:
        template = Template(name=name, channel=channel)
        session.add(template)
    template.subject, template.body = body.subject, body.body
    template.category, template.variables = body.category, body.variables
    template.updated_at = utcnow()
    return describe_template(template, settings)


def describe_template(template: Template, settings: NotifierSettings) -> TemplateOut:
    out = TemplateOut.model_validate(template)
    if template.channel == "sms":
        length = sms.measure(template.body)
        out.sms = SmsInfo(
            encoding=length.encoding,
            units=length.units,
            segments=length.segments,
            cost_per_send=length.cost(settings.sms_cost_per_segment),
            warning=length.warning,
        )
    return out


async def find_template(session: AsyncSession, name: str, channel: str) -> MessageTemplate | None:
    stored = await repository.get_template(session, name, channel)
    if stored is not None:
        return MessageTemplate(channel, stored.subject, stored.body, stored.category)
    return BUILT_IN.get((name, channel))


async def get_template(session: AsyncSession, name: str, channel: str) -> Template:
    stored = await repository.get_template(session, name, channel)
    if stored is None:
        built_in = BUILT_IN.get((name, channel))
        if built_in is None:
            raise TemplateNotFound()
        return Template(
            name=name,
            channel=channel,
            subject=built_in.subject,
            body=built_in.body,
            category=built_in.category,
            variables=[],
            updated_at=utcnow(),
        )
    return stored


# --- communication policies ---------------------------------------------------------------


def _check_scope(scope: str) -> None:
    if scope != PROGRAM and override_scope(f"{scope}:x") != scope:
        raise InvalidScope()


async def save_policy(session: AsyncSession, scope: str, body: PolicyIn) -> Policy:
    _check_scope(scope)
    policy = await repository.get_policy(session, scope)
    if policy is None:
        policy = Policy(scope=scope)
        session.add(policy)
    policy.daily_cap, policy.min_pause_seconds = body.daily_cap, body.min_pause_seconds
    policy.quiet_start = body.quiet_start.strftime("%H:%M")
    policy.quiet_end = body.quiet_end.strftime("%H:%M")
    policy.over_cap, policy.updated_at = body.over_cap, utcnow()
    return policy


async def get_policy(session: AsyncSession, scope: str) -> Policy:
    policy = await repository.get_policy(session, scope)
    if policy is None:
        raise PolicyNotFound()
    return policy


async def limits_for(session: AsyncSession, source: str) -> Limits:
    """The chain's or campaign's override, else the program's policy, else the defaults."""
    scope = override_scope(source)
    policy = await repository.get_policy(session, scope) if scope else None
    policy = policy or await repository.get_policy(session, PROGRAM)
    return _limits(policy) if policy else Limits()


def _limits(policy: Policy) -> Limits:
    over_cap: Any = policy.over_cap
    return Limits(
        daily_cap=policy.daily_cap,
        min_pause_seconds=policy.min_pause_seconds,
        quiet=QuietHours(
            time.fromisoformat(policy.quiet_start), time.fromisoformat(policy.quiet_end)
        ),
        over_cap=over_cap,
    )
