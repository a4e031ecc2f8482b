"""Contacts and consents per channel, templates per channel, communication policies."""

from datetime import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from kit.contracts import MemberRegistered
from kit.errors import DomainError, NotFound
from notifier import repository
from notifier.default_templates import DEFAULT_LANGUAGE, LANGUAGES
from notifier.domain import sms
from notifier.domain.policy import PROGRAM, Limits, override_scope
from notifier.domain.quiet_hours import QuietHours
from notifier.models import ConsentChange, Contact, Policy, Template
from notifier.schemas import ContactIn, PolicyIn, PushTokenIn, SmsInfo, TemplateIn, TemplateOut
from notifier.settings import NotifierSettings
from notifier.templates import MessageTemplate, TemplateNotFound, check_names, default_template


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
    new = {"time_zone": body.time_zone, "test_recipient": False, "updated_at": utcnow()}
    contact = await repository.contact_to_write(session, customer_id, new)
    contact.name, contact.email, contact.phone = body.name, body.email, body.phone
    contact.time_zone, contact.language = body.time_zone, body.language
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
    texts = [body.subject or "", body.body]
    texts += [part for t in body.translations.values() for part in (t.subject or "", t.body)]
    check_names(texts, body.variables)
    template = await repository.get_template(session, name, channel)
    if template is None:
        template = Template(name=name, channel=channel)
        session.add(template)
    template.subject, template.body = body.subject, body.body
    template.category, template.variables = body.category, body.variables
    template.translations = {lang: t.model_dump() for lang, t in body.translations.items()}
    template.updated_at = utcnow()
    return describe_template(template, settings)


def describe_template(
    template: Template, settings: NotifierSettings, origin: str = "saved"
) -> TemplateOut:
    out = TemplateOut.model_validate(template)
    out.origin = "default" if origin == "default" else "saved"
    if template.channel == "sms":
        out.sms = sms_info(template.body, settings)
    return out


def sms_info(text: str, settings: NotifierSettings) -> SmsInfo:
    length = sms.measure(text)
    return SmsInfo(
        encoding=length.encoding,
        units=length.units,
        segments=length.segments,
        cost_per_send=length.cost(settings.sms_cost_per_segment),
        warning=length.warning,
    )


async def find_template(
    session: AsyncSession, name: str, channel: str, language: str | None = None
) -> MessageTemplate | None:
    """The saved template (in the customer's language if it has it), else the default."""
    stored = await repository.get_template(session, name, channel)
    if stored is None:
        return default_template(name, channel, language or DEFAULT_LANGUAGE)
    text = (stored.translations or {}).get(language or "")
    subject, body = (text["subject"], text["body"]) if text else (stored.subject, stored.body)
    return MessageTemplate(channel, subject, body, stored.category, tuple(stored.variables))


async def template_out(
    session: AsyncSession, name: str, channel: str, settings: NotifierSettings
) -> TemplateOut:
    stored = await repository.get_template(session, name, channel)
    if stored is not None:
        return describe_template(stored, settings)
    default = default_row(name, channel)
    if default is None:
        raise TemplateNotFound()
    return describe_template(default, settings, origin="default")


def default_row(name: str, channel: str) -> Template | None:
    """A shipped default shown as a row that is not stored: English, other languages aside."""
    english = default_template(name, channel, DEFAULT_LANGUAGE)
    if english is None:
        return None
    others = (default_template(name, channel, lang) for lang in LANGUAGES[1:])
    return Template(
        name=name,
        channel=channel,
        subject=english.subject,
        body=english.body,
        category=english.category,
        variables=list(english.variables),
        translations={
            lang: {"subject": t.subject, "body": t.body}
            for lang, t in zip(LANGUAGES[1:], others, strict=True)
            if t is not None
        },
        updated_at=None,
    )


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
    """The saved policy; for the programme, the defaults until one is saved."""
    _check_scope(scope)
    policy = await repository.get_policy(session, scope)
    if policy is None and scope == PROGRAM:
        return _default_policy()
    if policy is None:
        raise PolicyNotFound()
    return policy


def _default_policy() -> Policy:
    limits = Limits()
    return Policy(
        scope=PROGRAM,
        daily_cap=limits.daily_cap,
        min_pause_seconds=limits.min_pause_seconds,
        quiet_start=limits.quiet.start.strftime("%H:%M"),
        quiet_end=limits.quiet.end.strftime("%H:%M"),
        over_cap=limits.over_cap,
    )


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
