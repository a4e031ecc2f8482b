"""The ledger's scheduled work: journalling delayed activations, reviewing the tiers of members
whose spend has aged, expiring lots, warning before they burn, lapsing reservations, settling
any debt left beside spendable points.

Every step is safe to re-run and to run in several workers at once: rows are claimed with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL and each step only acts on what is still due.
"""

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from kit.clock import utcnow
from kit.contracts.loyalty import (
    BonusExpired,
    BonusExpiredPayload,
    BonusExpiring,
    BonusExpiringPayload,
)
from kit.db import SessionFactory, unit_of_work
from loyalty import ledger
from loyalty.domain.rules import ProgramRules
from loyalty.ledger import Journal
from loyalty.models import Lot, Purchase, outbox
from loyalty.purchases import locked_purchase, release
from loyalty.tiering import review_due

log = logging.getLogger(__name__)
BATCH = 5_000
REVIEW_BATCH = 500  # a few statements per member


@dataclass
class SweepResult:
    activated_lots: int = 0
    reviewed_tiers: int = 0
    expired_points: int = 0
    expiring_notices: int = 0
    lapsed_reservations: int = 0
    settled_debts: int = 0


async def _begin_write(session: AsyncSession) -> None:
    """On SQLite, take the write lock before reading, so the read cannot go stale."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("UPDATE lots SET reserved = reserved WHERE 1 = 0"))


async def _claim_lots(
    session: AsyncSession,
    columns: tuple[InstrumentedAttribute[Any], ...],
    conditions: tuple[ColumnElement[bool], ...],
    order: InstrumentedAttribute[datetime],
    batch: int,
    **values: Any,
) -> Sequence[Row[Any]]:
    """Locks up to ``batch`` due lots, skipping those another sweep holds, and sets ``values``
    on them; returns their ``columns`` as they were.

    ``conditions`` imply the predicate of a partial index on ``order`` (see ``Lot``), so a
    batch reads the lots it changes and not those earlier batches or passes dealt with. The
    order is that column alone: a bulk grant gives a million lots the same dates.
    """
    await _begin_write(session)
    due = select(*columns).where(*conditions).order_by(order).limit(batch)
    rows = (await session.execute(due.with_for_update(skip_locked=True))).all()
    if rows:
        await session.execute(
            update(Lot)
            .where(Lot.id.in_([row.id for row in rows]))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return rows


async def activate_batch(session: AsyncSession, now: datetime, batch: int = BATCH) -> int:
    """Journals up to ``batch`` delayed lots whose points have become spendable; how many.

    The balance reads ``active_from`` directly, so the points are spendable from that moment
    whether or not the sweep has run; the entry records it, once per lot.
    """
    rows = await _claim_lots(
        session,
        (Lot.id, Lot.member_id),
        (Lot.activated_at.is_(None), Lot.active_from <= now),
        Lot.active_from,
        batch,
        activated_at=Lot.active_from,
    )
    if not rows:
        return 0
    journal = Journal("activate", None, None, now)
    for row in rows:
        journal.add("activate", row.member_id, row.id)
    await journal.write(session)
    return len(rows)


async def expire_batch(session: AsyncSession, now: datetime, batch: int = BATCH) -> int:
    """Burns the free points of up to ``batch`` lots past their expiry; the points burnt."""
    rows = await _claim_lots(
        session,
        (Lot.id, Lot.member_id, Lot.remaining, Lot.reserved),
        (Lot.remaining > 0, Lot.expires_at < now, Lot.remaining > Lot.reserved),
        Lot.expires_at,
        batch,
        remaining=Lot.reserved,
    )
    if not rows:
        return 0
    journal = Journal("expire", None, None, now)
    per_member: dict[str, int] = defaultdict(int)
    for row in rows:
        journal.add("expire", row.member_id, row.id, points=-(row.remaining - row.reserved))
        per_member[row.member_id] += row.remaining - row.reserved
    await journal.write(session)
    await outbox.add_all(
        session,
        (
            BonusExpired(
                customer_id=member_id, payload=BonusExpiredPayload(amount=amount, expired_at=now)
            )
            for member_id, amount in per_member.items()
        ),
    )
    return sum(per_member.values())


async def notify_expiring_batch(
    session: AsyncSession, rules: ProgramRules, now: datetime, batch: int = BATCH
) -> int:
    """Warns each member once per lot that points burn within the notice period."""
    horizon = now + timedelta(days=rules.expiring_notice_days)
    rows = await _claim_lots(
        session,
        (Lot.id, Lot.member_id, Lot.remaining, Lot.reserved, Lot.expires_at),
        (
            Lot.expiring_notified_at.is_(None),
            Lot.remaining > 0,
            Lot.expires_at >= now,
            Lot.expires_at <= horizon,
            Lot.remaining > Lot.reserved,
        ),
        Lot.expires_at,
        batch,
        expiring_notified_at=now,
    )
    if not rows:
        return 0
    notices: dict[str, tuple[int, datetime]] = {}
    for row in rows:
        amount, soonest = notices.get(row.member_id, (0, row.expires_at))
        notices[row.member_id] = (
            amount + row.remaining - row.reserved,
            min(soonest, row.expires_at),
        )
    await outbox.add_all(
        session,
        (
            BonusExpiring(
                customer_id=member_id,
                payload=BonusExpiringPayload(amount=amount, expires_at=expires_at),
            )
            for member_id, (amount, expires_at) in notices.items()
        ),
    )
    return len(notices)


async def lapse_reservations(sessions: SessionFactory, now: datetime, batch: int = 500) -> int:
    """Releases every reservation lapsed by ``now``, ``batch`` at a time until none is left."""
    lapsed = 0
    while purchases := await _lapsed_purchases(sessions, now, batch):
        released = 0
        for store_id, txid in purchases:
            async with unit_of_work(sessions) as session:
                member, purchase = await locked_purchase(session, txid, store_id)
                if purchase.status == "reserved" and purchase.reserved_until < now:
                    await release(session, member, purchase, "lapsed", now)
                    released += 1
        lapsed += released
        if released == 0:  # all were settled meanwhile by their tills: nothing left to do
            break
    return lapsed


async def _lapsed_purchases(
    sessions: SessionFactory, now: datetime, batch: int
) -> list[tuple[str, str]]:
    """(store, txid) of up to ``batch`` lapsed reservations."""
    async with unit_of_work(sessions) as session:
        query = select(Purchase.store_id, Purchase.txid).where(
            Purchase.status == "reserved", Purchase.reserved_until < now
        )
        return [(row.store_id, row.txid) for row in await session.execute(query.limit(batch))]


async def settle_debts(sessions: SessionFactory, now: datetime, batch: int = 500) -> int:
    """Members who owe points while holding some (a bulk grant that raced the return that
    made the debt): their points pay it, as every credit's would have. How many members."""
    async with unit_of_work(sessions) as session:
        debtors = list((await session.execute(ledger.IN_DEBT.limit(batch))).scalars())
    settled = 0
    for member_id in debtors:
        async with unit_of_work(sessions) as session:
            member = await ledger.lock_member(session, member_id)
            if member is None:
                continue
            journal = Journal("settle", member_id, None, now)
            settled += bool(await ledger.settle_debt(session, member, journal, now))
            await journal.write(session)
    return settled


async def review_tiers_batch(session: AsyncSession, rules: ProgramRules, now: datetime) -> int:
    await _begin_write(session)
    return await review_due(session, rules, now, REVIEW_BATCH)


Step = Callable[[AsyncSession], Awaitable[int]]


async def _in_batches(sessions: SessionFactory, step: Step) -> int:
    """Runs ``step`` in a transaction of its own each time until it finds nothing left."""
    total = 0
    while True:
        async with unit_of_work(sessions) as session:
            done = await step(session)
        if not done:
            return total
        total += done


async def sweep(
    sessions: SessionFactory, rules: ProgramRules, now: datetime | None = None
) -> SweepResult:
    """One pass of every scheduled step, each in batches of its own transactions."""
    at = now or utcnow()
    return SweepResult(
        lapsed_reservations=await lapse_reservations(sessions, at),
        settled_debts=await settle_debts(sessions, at),
        activated_lots=await _in_batches(sessions, lambda s: activate_batch(s, at)),
        reviewed_tiers=await _in_batches(sessions, lambda s: review_tiers_batch(s, rules, at)),
        expired_points=await _in_batches(sessions, lambda s: expire_batch(s, at)),
        expiring_notices=await _in_batches(sessions, lambda s: notify_expiring_batch(s, rules, at)),
    )
