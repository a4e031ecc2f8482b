"""A template rendered for a chosen customer, as that customer would receive it, with sample
values for the variables a chain would pass and the marketer did not give."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from notifier import service
from notifier.default_templates import DEFAULT_LANGUAGE
from notifier.models import Contact
from notifier.schemas import DraftPreviewIn, DraftPreviewOut, PreviewIn, PreviewOut, SmsInfo
from notifier.settings import NotifierSettings
from notifier.templates import (
    VOCABULARY,
    MessageTemplate,
    Rendered,
    TemplateNotFound,
    render,
    undeclared_names,
)


def samples() -> dict[str, Any]:
    """What a chain passes, made up: points after a grant, an expiring amount, a cart."""
    expiry = (utcnow() + timedelta(days=7)).isoformat()
    cart = [
        {"sku": "LAMP-01", "category": "lamps", "quantity": 1, "price": 4_990},
        {"sku": "BULB-E27", "category": "bulbs", "quantity": 3, "price": 350},
    ]
    return {
        "points": 300,
        "points_expire_at": expiry,
        "amount": 150,
        "expires_at": expiry,
        "accrued_points": 42,
        "cart": cart,
        "total": 6_040,
        "balance": 1_250,
        "expiring_points": 150,
        "expiring_date": expiry[:10],
        "offer": "10% off",
        "link": "https://example.com/",
    }


@dataclass(frozen=True)
class ForCustomer:
    contact: Contact
    rendered: Rendered
    sampled: list[str]


def _render(
    template: MessageTemplate,
    customer_name: str | None,
    values: dict[str, Any],
    links: dict[str, str],
    unfilled: Iterable[str] = (),
) -> tuple[Rendered, list[str]]:
    """The texts with the customer's name, `links` as the tracking links, `values` as given and
    samples for the rest; the `unfilled` names show as written, so a draft still renders."""
    as_written = {name: f"{{{{ {name} }}}}" for name in unfilled}
    given = {**as_written, **samples(), "name": customer_name or "there", **values, **links}
    sampled = sorted(set(template.variables) - set(values))
    return render(template, given), sampled


def _links(settings: NotifierSettings) -> dict[str, str]:
    return {
        "click_url": f"{settings.public_url}/v1/t/c/preview",
        "unsubscribe_url": f"{settings.public_url}/v1/unsubscribe/preview",
    }


def _sms(channel: str, rendered: Rendered, settings: NotifierSettings) -> SmsInfo | None:
    return service.sms_info(rendered.body, settings) if channel == "sms" else None


async def render_for(
    session: AsyncSession,
    name: str,
    channel: str,
    body: PreviewIn,
    links: dict[str, str],
) -> ForCustomer:
    """The saved template in the customer's language, rendered for them."""
    contact = await service.get_contact(session, body.customer_id)
    template = await service.find_template(session, name, channel, contact.language)
    if template is None:
        raise TemplateNotFound()
    rendered, sampled = _render(template, contact.name, body.variables, links)
    return ForCustomer(contact, rendered, sampled)


async def preview(
    session: AsyncSession, name: str, channel: str, body: PreviewIn, settings: NotifierSettings
) -> PreviewOut:
    found = await render_for(session, name, channel, body, _links(settings))
    return PreviewOut(
        template=name,
        channel=channel,
        customer_id=found.contact.customer_id,
        language=found.contact.language or DEFAULT_LANGUAGE,
        subject=found.rendered.subject,
        body=found.rendered.body,
        sampled_variables=found.sampled,
        sms=_sms(channel, found.rendered, settings),
    )


async def preview_draft(
    session: AsyncSession, body: DraftPreviewIn, settings: NotifierSettings
) -> DraftPreviewOut:
    """Texts not saved yet, as `preview` renders a saved template, with the names saving would
    refuse instead of a refusal: the editor shows them as the marketer types."""
    contact = await service.get_contact(session, body.customer_id) if body.customer_id else None
    template = MessageTemplate(body.channel, body.subject, body.body, variables=(*body.variables,))
    used = set().union(*(undeclared_names(text) for text in (body.subject or "", body.body)))
    unknown = sorted(used - VOCABULARY - set(body.variables))
    customer_name = contact.name if contact else None
    rendered, sampled = _render(
        template, customer_name, body.values, _links(settings), used - set(samples())
    )
    return DraftPreviewOut(
        channel=body.channel,
        customer_id=contact.customer_id if contact else None,
        language=body.language or (contact.language if contact else None) or DEFAULT_LANGUAGE,
        subject=rendered.subject,
        body=rendered.body,
        sampled_variables=sampled,
        unknown_variables=unknown,
        sms=_sms(body.channel, rendered, settings),
    )
