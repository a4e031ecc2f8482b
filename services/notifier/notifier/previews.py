"""A template rendered for a chosen customer, as that customer would receive it, with sample
values for the variables a chain would pass and the marketer did not give."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from notifier import service
from notifier.default_templates import DEFAULT_LANGUAGE
from notifier.models import Contact
from notifier.schemas import PreviewIn, PreviewOut
from notifier.settings import NotifierSettings
from notifier.templates import Rendered, TemplateNotFound, render


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


async def render_for(
    session: AsyncSession,
    name: str,
    channel: str,
    body: PreviewIn,
    links: dict[str, str],
) -> ForCustomer:
    """The template in the customer's language, their name, `links` as the tracking links and
    samples for the variables not given."""
    contact = await service.get_contact(session, body.customer_id)
    template = await service.find_template(session, name, channel, contact.language)
    if template is None:
        raise TemplateNotFound()
    given = {**samples(), "name": contact.name or "there", **body.variables, **links}
    sampled = sorted(set(template.variables) - set(body.variables))
    return ForCustomer(contact, render(template, given), sampled)


async def preview(
    session: AsyncSession, name: str, channel: str, body: PreviewIn, settings: NotifierSettings
) -> PreviewOut:
    links = {
        "click_url": f"{settings.public_url}/v1/t/c/preview",
        "unsubscribe_url": f"{settings.public_url}/v1/unsubscribe/preview",
    }
    found = await render_for(session, name, channel, body, links)
    return PreviewOut(
        template=name,
        channel=channel,
        customer_id=found.contact.customer_id,
        language=found.contact.language or DEFAULT_LANGUAGE,
        subject=found.rendered.subject,
        body=found.rendered.body,
        sampled_variables=found.sampled,
        sms=service.sms_info(found.rendered.body, settings) if channel == "sms" else None,
    )
