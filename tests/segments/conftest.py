"""Fixtures for the segments tests: a migrated PostgreSQL database and event factories."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from kit.contracts.loyalty import (
    MemberRegistered,
    MemberRegisteredPayload,
    PurchaseConfirmed,
    PurchaseConfirmedPayload,
    PurchaseLine,
    PurchaseReturned,
    PurchaseReturnedPayload,
    ReturnedLine,
)
from kit.db import SessionFactory, create_engine, session_factory, unit_of_work
from kit.events import Event
from kit.migrations import upgrade_async
from segments.events import handler_for
from segments.models import CustomerProfile, Membership, outbox
from segments.recompute import SegmentConfig

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
async def sessions(postgres_url: str) -> AsyncIterator[SessionFactory]:
    await upgrade_async("segments:migrations", postgres_url)
    engine = create_engine(postgres_url)
    yield session_factory(engine)
    await engine.dispose()


def registered(
    customer_id: str | None = None,
    *,
    time_zone: str = "UTC",
    city: str | None = None,
    birthday: date | None = None,
    consents: dict[str, bool] | None = None,
    at: datetime = NOW,
) -> MemberRegistered:
    payload = MemberRegisteredPayload(
        email=None,
        city=city,
        birthday=birthday,
        time_zone=time_zone,
        consents=consents or {},
    )
    return MemberRegistered(
        customer_id=customer_id or str(uuid.uuid4()), occurred_at=at, payload=payload
    )


def purchase(
    customer_id: str,
    at: datetime,
    *,
    amount: int = 1000,
    txid: str | None = None,
    categories: tuple[str, ...] = ("food",),
    channel: str = "offline",
    store_id: str = "s1",
) -> PurchaseConfirmed:
    lines = [
        PurchaseLine(sku=f"sku-{c}", category=c, quantity=1, amount=amount // len(categories))
        for c in categories
    ]
    payload = PurchaseConfirmedPayload(
        txid=txid or uuid.uuid4().hex,
        store_id=store_id,
        channel=channel,
        lines=lines,
        total_amount=amount,
        paid_amount=amount,
        redeemed_points=0,
        accrued_points=0,
        purchased_at=at,
    )
    return PurchaseConfirmed(customer_id=customer_id, occurred_at=at, payload=payload)


def returned(
    customer_id: str,
    of: PurchaseConfirmed,
    amount: int,
    at: datetime,
    *,
    return_id: str | None = None,
) -> PurchaseReturned:
    """A return of part of the purchase `of`, at the purchase's store."""
    payload = PurchaseReturnedPayload(
        txid=of.payload.txid,
        store_id=of.payload.store_id,
        return_id=return_id or uuid.uuid4().hex,
        lines=[ReturnedLine(sku="sku", quantity=1, amount=amount)],
        refunded_amount=amount,
        reversed_points=0,
        restored_points=0,
        returned_at=at,
    )
    return PurchaseReturned(customer_id=customer_id, occurred_at=at, payload=payload)


async def deliver(
    sessions: SessionFactory, *events: Event, config: SegmentConfig | None = None
) -> None:
    """Through the real consumer wrapper: idempotent, one transaction per event."""
    from segments.events import HANDLERS

    projects = {kind: project for kind, project in HANDLERS}
    for event in events:
        handler = handler_for(sessions, projects[type(event)], config or SegmentConfig())
        await handler(event)


async def profile_of(sessions: SessionFactory, customer_id: str) -> CustomerProfile:
    async with sessions() as session:
        found = await session.get(CustomerProfile, customer_id)
    assert found is not None
    return found


async def memberships_of(sessions: SessionFactory, customer_id: str) -> set[str]:
    async with sessions() as session:
        query = select(Membership.segment_id).where(Membership.customer_id == customer_id)
        return set((await session.scalars(query)).all())


async def outbox_events(
    sessions: SessionFactory, customer_id: str | None = None
) -> list[dict[str, Any]]:
    """Membership events waiting in the outbox, decoded, oldest first."""
    async with unit_of_work(sessions) as session:
        rows = (await session.execute(select(outbox.table).order_by(outbox.table.c.seq))).all()
    events = [Event.model_validate_json(row.data).model_dump(mode="json") for row in rows]
    return [e for e in events if customer_id is None or e["customer_id"] == customer_id]


def changes(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["type"], e["payload"]["segment_id"]) for e in events]
