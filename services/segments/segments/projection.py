"""The behaviour projection: events in, one profile (and purchase rows) per customer out.

Every handler is safe to run twice and in any order: attributes carry the time they were true
and older ones are ignored; purchases and returns are rows keyed by the purchase key (store and
txid) and the return id, and the customer's totals are recomputed from those rows rather than
incremented.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from kit.clock import utcnow
from kit.contracts.gateway import CartCleared, CartUpdated, ProductViewed
from kit.contracts.loyalty import (
    MemberRegistered,
    MemberRegisteredPayload,
    MemberTierChanged,
    MemberUpdated,
    PurchaseConfirmed,
    PurchaseReturned,
)
from kit.contracts.notifier import MessageClicked, MessageOpened, MessageSent
from segments import repository
from segments.domain.days import day_of_year, local_day
from segments.domain.rules import CHANNELS
from segments.models import CustomerProfile


def _newer(seen: datetime | None, candidate: datetime) -> bool:
    return seen is None or candidate > seen


def _latest(seen: datetime | None, candidate: datetime) -> datetime:
    return candidate if seen is None or candidate > seen else seen


async def record_registration(session: AsyncSession, event: MemberRegistered) -> CustomerProfile:
    assert event.customer_id is not None
    profile = await repository.locked_profile(session, event.customer_id, utcnow())
    profile.registered_at = event.occurred_at
    await _apply_attributes(session, profile, event.payload, event.occurred_at)
    return profile


async def record_member_update(session: AsyncSession, event: MemberUpdated) -> CustomerProfile:
    assert event.customer_id is not None
    profile = await repository.locked_profile(session, event.customer_id, utcnow())
    await _apply_attributes(session, profile, event.payload, event.payload.updated_at)
    return profile


async def _apply_attributes(
    session: AsyncSession,
    profile: CustomerProfile,
    payload: MemberRegisteredPayload,
    as_of: datetime,
) -> None:
    if not _newer(profile.attributes_as_of, as_of):
        return
    profile.attributes_as_of = as_of
    profile.city = payload.city
    profile.birthday = payload.birthday
    profile.birthday_doy = day_of_year(payload.birthday) if payload.birthday else None
    profile.time_zone = payload.time_zone
    subscribed: list[str] = sorted(
        channel for channel, granted in payload.consents.items() if granted
    )
    profile.subscribed_channels = subscribed
    for channel in CHANNELS:
        setattr(profile, f"sub_{channel}", channel in subscribed)
    if profile.last_purchase_at:
        profile.last_purchase_day = local_day(profile.last_purchase_at, profile.time_zone)
    profile.updated_at = utcnow()
    await repository.remember_time_zone(session, profile.time_zone)


async def record_tier_change(session: AsyncSession, event: MemberTierChanged) -> CustomerProfile:
    assert event.customer_id is not None
    profile = await repository.locked_profile(session, event.customer_id, utcnow())
    if _newer(profile.tier_as_of, event.occurred_at):
        profile.tier = event.payload.tier
        profile.tier_as_of = event.occurred_at
        profile.updated_at = utcnow()
    return profile


async def record_purchase(session: AsyncSession, event: PurchaseConfirmed) -> CustomerProfile:
    assert event.customer_id is not None
    return (await record_purchases(session, [event]))[event.customer_id]


async def record_purchases(
    session: AsyncSession, events: Sequence[PurchaseConfirmed]
) -> dict[str, CustomerProfile]:
    """``record_purchase`` of a batch, set-based: the customers' profiles locked (or created),
    the purchases, their categories and the customers' totals in one statement each, however
    many purchases; the profiles by customer."""
    mine = [e for e in events if e.customer_id is not None]
    profiles = await repository.locked_profiles(
        session, [e.customer_id or "" for e in mine], utcnow()
    )
    rows = {e.payload.purchase_key: _purchase_row(e) for e in mine}
    bought = {e.payload.purchase_key: {line.category for line in e.payload.lines} for e in mine}
    new = await repository.insert_purchases(session, list(rows.values()))
    for key in rows.keys() - new.keys():  # stored before: its net amount is kept right
        await repository.recompute_net_amount(session, key)
    categories = [
        {
            "purchase_key": key,
            "category": category,
            "customer_id": row["customer_id"],
            "purchased_at": row["purchased_at"],
            "counted": new[key] > 0,
        }
        for key, row in rows.items()
        if key in new
        for category in sorted(c for c in bought[key] if c)
    ]
    await repository.insert_categories(session, categories)
    totals = await repository.purchase_totals(session, list(profiles))
    for customer_id, profile in profiles.items():
        _set_totals(profile, totals.get(customer_id))
    return profiles


def _purchase_row(event: PurchaseConfirmed) -> dict[str, Any]:
    p = event.payload
    return {
        "purchase_key": p.purchase_key,
        "customer_id": event.customer_id,
        "purchased_at": p.purchased_at,
        "store_id": p.store_id,
        "channel": p.channel,
        "city": p.city,
        "total_amount": p.total_amount,
    }


async def record_return(session: AsyncSession, event: PurchaseReturned) -> CustomerProfile:
    """A return that arrives before its purchase is kept and counted once the purchase lands."""
    assert event.customer_id is not None
    profile = await repository.locked_profile(session, event.customer_id, utcnow())
    p = event.payload
    row = {
        "purchase_key": p.purchase_key,
        "return_id": p.return_id,
        "customer_id": event.customer_id,
        "refunded_amount": p.refunded_amount,
        "returned_at": p.returned_at,
    }
    await repository.insert_return(session, row)
    await repository.recompute_net_amount(session, p.purchase_key)
    await refresh_purchase_totals(session, profile)
    return profile


async def refresh_purchase_totals(session: AsyncSession, profile: CustomerProfile) -> None:
    await session.flush()
    totals = await repository.purchase_totals(session, [profile.customer_id])
    _set_totals(profile, totals.get(profile.customer_id))


def _set_totals(profile: CustomerProfile, totals: Any) -> None:
    """The profile's purchase figures from its counted purchases' totals (None: it has none)."""
    first_at, last_at, purchases, spend, store_id, channel = totals or (None,) * 6
    profile.first_purchase_at = first_at
    profile.last_purchase_at = last_at
    profile.purchase_count = int(purchases or 0)
    profile.lifetime_spend = int(spend or 0)
    profile.last_purchase_day = local_day(last_at, profile.time_zone) if last_at else None
    profile.last_store_id = store_id
    profile.last_channel = channel
    profile.updated_at = utcnow()
    # Written whether changed or not, so that every profile of a batch is updated by one
    # statement form, sent once for them all (the ORM groups equal forms only).
    for name in TOTALS:
        flag_modified(profile, name)


TOTALS = (
    "first_purchase_at",
    "last_purchase_at",
    "purchase_count",
    "lifetime_spend",
    "last_purchase_day",
    "last_store_id",
    "last_channel",
    "updated_at",
)


async def record_message(session: AsyncSession, event: MessageSent) -> CustomerProfile:
    assert event.customer_id is not None
    profile = await repository.locked_profile(session, event.customer_id, utcnow())
    profile.last_message_at = _latest(profile.last_message_at, event.occurred_at)
    return profile


async def record_engagement(
    session: AsyncSession, event: MessageOpened | MessageClicked
) -> CustomerProfile:
    assert event.customer_id is not None
    profile = await repository.locked_profile(session, event.customer_id, utcnow())
    profile.last_engaged_at = _latest(profile.last_engaged_at, event.occurred_at)
    return profile


async def record_cart(session: AsyncSession, event: CartUpdated | CartCleared) -> CustomerProfile:
    assert event.customer_id is not None
    profile = await repository.locked_profile(session, event.customer_id, utcnow())
    if _newer(profile.cart_as_of, event.occurred_at):
        profile.cart_as_of = event.occurred_at
        profile.cart_total = event.payload.total if isinstance(event, CartUpdated) else 0
    return profile


async def record_view(session: AsyncSession, event: ProductViewed) -> CustomerProfile:
    assert event.customer_id is not None
    profile = await repository.locked_profile(session, event.customer_id, utcnow())
    profile.last_viewed_at = _latest(profile.last_viewed_at, event.occurred_at)
    return profile
