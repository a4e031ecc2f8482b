"""Lists a marketer pages through: templates (the defaults and the saved ones in one order) and
a customer's deliveries with every policy decision about each, newest first."""

from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncSession

from kit.cursors import decode_cursor, decode_time_cursor, encode_cursor, encode_time_cursor
from notifier import repository, service
from notifier.default_templates import CHANNELS, MESSAGES
from notifier.models import Template
from notifier.schemas import (
    DecisionOut,
    DeliveryOut,
    DeliveryPage,
    TemplateOut,
    TemplatePage,
)
from notifier.settings import NotifierSettings
from notifier.templates import TemplateNotFound

DEFAULT_KEYS = sorted((name, channel) for name in MESSAGES for channel in CHANNELS)


async def templates(
    session: AsyncSession, settings: NotifierSettings, limit: int, cursor: str | None
) -> TemplatePage:
    """Saved and default templates in (name, channel) order; a saved one hides its default.

    A default among the first `limit + 1` keys that is not on the page of saved templates is
    not saved: the saved page holds every saved key up to the last one it could reach."""
    after = _pair(decode_cursor(cursor, 2)) if cursor else None
    saved = {
        (t.name, t.channel): t for t in await repository.templates_after(session, after, limit + 1)
    }
    defaults = [key for key in DEFAULT_KEYS if after is None or key > after]
    keys = sorted(set(saved) | set(defaults))[: limit + 1]
    more, keys = len(keys) > limit, keys[:limit]
    items = [_shown(saved.get(key), key, settings) for key in keys]
    return TemplatePage(items=items, next_cursor=encode_cursor(*keys[-1]) if more else None)


def _pair(parts: list[str]) -> tuple[str, str]:
    return parts[0], parts[1]


def _shown(saved: Template | None, key: tuple[str, str], settings: NotifierSettings) -> TemplateOut:
    if saved is not None:
        return service.describe_template(saved, settings)
    default = service.default_row(*key)
    if default is None:  # keys come from the defaults' own table: never so
        raise TemplateNotFound()
    return service.describe_template(default, settings, "default")


async def deliveries(
    session: AsyncSession, customer_id: str, limit: int, cursor: str | None
) -> DeliveryPage:
    await service.get_contact(session, customer_id)
    items, following = await decided_page(session, customer_id, limit, cursor)
    return DeliveryPage(items=items, next_cursor=following)


async def decided_page(
    session: AsyncSession, customer_id: str, limit: int, cursor: str | None
) -> tuple[list[DeliveryOut], str | None]:
    """A page of the customer's deliveries newest first, each with its policy decisions, and
    the cursor of the next page (None on the last)."""
    before = decode_time_cursor(cursor) if cursor else None
    rows = await repository.deliveries_of(session, customer_id, before, limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    decisions: dict[str, list[DecisionOut]] = defaultdict(list)
    for decision in await repository.decisions_of_many(session, [row.id for row in rows]):
        decisions[decision.delivery_id].append(DecisionOut.model_validate(decision))
    items = [
        DeliveryOut.model_validate(row).model_copy(update={"decisions": decisions[row.id]})
        for row in rows
    ]
    last = rows[-1] if rows else None
    following = encode_time_cursor(last.created_at, last.id) if more and last else None
    return items, following
