"""Grants of points to one member or to many, by campaigns, chains and staff."""

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from kit.contracts.loyalty import BonusGranted, BonusGrantedPayload
from kit.db import insert_ignoring_conflict
from loyalty import ledger, repository
from loyalty.domain.rules import ProgramRules
from loyalty.errors import IdempotencyKeyReused, MemberCityUnknown, MemberNotFound
from loyalty.idempotency import fingerprint
from loyalty.ledger import Journal, new_lot
from loyalty.models import Grant, Lot, outbox
from loyalty.schemas import BulkGrantOut, BulkGrantRequest, GrantFields, GrantOut, GrantRequest


def window(rules: ProgramRules, fields: GrantFields, now: datetime) -> tuple[datetime, datetime]:
    """When the granted points become usable and when they burn (end of day, programme zone)."""
    active_from = fields.active_from or now
    if fields.expires_at is not None:
        return active_from, fields.expires_at
    assert fields.lifetime_days is not None
    return active_from, rules.expiry_after_days(max(now, active_from), fields.lifetime_days)


async def _claim(session: AsyncSession, key: str, print_: str, now: datetime) -> Grant | str:
    """The earlier grant under ``key`` (same request), or the id of a newly claimed one."""
    grant_id = str(uuid.uuid4())
    values = {"id": grant_id, "idempotency_key": key, "fingerprint": print_, "created_at": now}
    if await insert_ignoring_conflict(session, Grant.__table__, values):
        return grant_id
    query = select(Grant).where(Grant.idempotency_key == key)
    earlier = (await session.execute(query)).scalars().one()
    if earlier.fingerprint != print_:
        raise IdempotencyKeyReused()
    return earlier


async def _store_answer(session: AsyncSession, grant_id: str, answer: dict[str, Any]) -> None:
    await session.execute(update(Grant).where(Grant.id == grant_id).values(answer=answer))


async def grant(
    session: AsyncSession, rules: ProgramRules, body: GrantRequest
) -> tuple[GrantOut, bool]:
    """The grant and whether it is new (False: the first answer, replayed)."""
    now = utcnow()
    claimed = await _claim(session, body.idempotency_key, fingerprint("grant", body), now)
    if isinstance(claimed, Grant):
        return GrantOut(**(claimed.answer or {})), False
    member = await ledger.lock_member(session, body.member_id)  # a credit may settle debt
    if member is None:
        raise MemberNotFound()
    active_from, expires_at = window(rules, body, now)
    restrictions = body.restrictions.for_lots() if body.restrictions else None
    if body.restrictions and body.restrictions.own_city:
        if not member.city:
            raise MemberCityUnknown()
        restrictions = _in_city(restrictions, member.city)
    lot = new_lot(
        body.member_id,
        body.amount,
        body.source,
        active_from,
        expires_at,
        now,
        reference=body.reference,
        grant_id=claimed,
        restrictions=restrictions,
    )
    session.add(lot)
    journal = Journal("grant", body.member_id, claimed, now)
    journal.add("accrue", body.member_id, lot.id, points=body.amount)
    await ledger.settle_debt(session, member, journal, now)
    await journal.write(session)
    await outbox.add(session, _granted_event(claimed, lot))
    answer = GrantOut(
        grant_id=claimed,
        lot_id=lot.id,
        member_id=body.member_id,
        amount=body.amount,
        active_from=active_from,
        expires_at=expires_at,
    )
    await _store_answer(session, claimed, answer.model_dump(mode="json"))
    return answer, True


def _granted_event(grant_id: str, lot: Lot) -> BonusGranted:
    payload = BonusGrantedPayload(
        grant_id=grant_id,
        amount=lot.initial,
        active_from=lot.active_from,
        expires_at=lot.expires_at,
        source=lot.source,
        reference=lot.reference,
    )
    return BonusGranted(customer_id=lot.member_id, occurred_at=lot.created_at, payload=payload)


async def bulk_grant(
    session: AsyncSession, rules: ProgramRules, body: BulkGrantRequest
) -> tuple[BulkGrantOut, bool]:
    now = utcnow()
    claimed = await _claim(session, body.idempotency_key, fingerprint("bulk", body), now)
    if isinstance(claimed, Grant):
        return BulkGrantOut(**(claimed.answer or {})), False
    active_from, expires_at = window(rules, body, now)
    lot = new_lot(
        "",
        body.amount,
        body.source,
        active_from,
        expires_at,
        now,
        reference=body.reference,
        grant_id=claimed,
        restrictions=body.restrictions.for_lots() if body.restrictions else None,
    )
    member_ids = list(dict.fromkeys(body.member_ids))
    own_city = bool(body.restrictions and body.restrictions.own_city)
    if session.get_bind().dialect.name == "postgresql":
        granted = await _bulk_postgres(session, lot, member_ids, own_city)
    else:
        granted = await _bulk_portable(session, lot, member_ids, own_city)
    await _settle_debtors(session, claimed, set(member_ids), now)
    answer = BulkGrantOut(grant_id=claimed, granted=granted, skipped=len(body.member_ids) - granted)
    await _store_answer(session, claimed, answer.model_dump(mode="json"))
    return answer, True


async def _settle_debtors(
    session: AsyncSession, grant_id: str, member_ids: set[str], now: datetime
) -> None:
    """The granted points of members who owe points pay their debt first."""
    for member_id in await ledger.members_in_debt(session, member_ids):
        member = await ledger.lock_member(session, member_id)
        if member is not None:
            journal = Journal("settle", member_id, grant_id, now)
            await ledger.settle_debt(session, member, journal, now)
            await journal.write(session)


def _in_city(restrictions: dict[str, Any] | None, city: str) -> dict[str, Any]:
    return {**(restrictions or {}), "cities": [city]}


async def _bulk_portable(
    session: AsyncSession, template: Lot, member_ids: list[str], own_city: bool
) -> int:
    """One member at a time in Python: the SQLite path, for development-sized lists."""
    cities = await repository.member_cities(session, member_ids)
    if own_city:
        cities = {member_id: city for member_id, city in cities.items() if city}
    journal = Journal("bulk_grant", None, template.grant_id, template.created_at)
    for member_id, city in cities.items():
        restrictions = template.restrictions
        if own_city and city:
            restrictions = _in_city(restrictions, city)
        lot = new_lot(
            member_id,
            template.initial,
            template.source,
            template.active_from,
            template.expires_at,
            template.created_at,
            reference=template.reference,
            grant_id=template.grant_id,
            restrictions=restrictions,
        )
        session.add(lot)
        journal.add("accrue", member_id, lot.id, points=lot.initial)
        await outbox.add(session, _granted_event(template.grant_id or "", lot))
    await journal.write(session)
    return len(cities)


# PostgreSQL: one set-based statement whatever the number of members. Lot and event ids are a
# per-grant prefix and the member's position, so a million inserts append to the indexes in
# order instead of scattering over them.
_BULK = text("""
WITH new_lots AS (
    INSERT INTO lots (id, member_id, source, reference, grant_id, initial, remaining, reserved,
                      active_from, expires_at, restrictions, created_at, activated_at)
    SELECT CAST(:lot_prefix AS text) || lpad(to_hex(wanted.n), 12, '0'), m.id,
           CAST(:source AS text), CAST(:reference AS text), CAST(:grant_id AS text),
           CAST(:amount AS bigint), CAST(:amount AS bigint), 0,
           CAST(:active_from AS timestamptz), CAST(:expires_at AS timestamptz),
           CASE WHEN CAST(:own_city AS boolean)
                THEN CAST(COALESCE(CAST(:restrictions AS jsonb), '{}')
                          || jsonb_build_object('cities', jsonb_build_array(m.city)) AS json)
                ELSE CAST(:restrictions AS json) END,
           CAST(:now AS timestamptz), CAST(:activated_at AS timestamptz)
    FROM unnest(CAST(:member_ids AS text[])) WITH ORDINALITY AS wanted(id, n)
    JOIN members m ON m.id = wanted.id
    WHERE NOT CAST(:own_city AS boolean) OR m.city <> ''
    RETURNING id, member_id
), operation AS (
    INSERT INTO operations (kind, reference, created_at)
    VALUES ('bulk_grant', CAST(:grant_id AS text), CAST(:now AS timestamptz)) RETURNING id
), entries AS (
    INSERT INTO journal (operation_id, member_id, lot_id, kind, points, held, debt, created_at)
    SELECT operation.id, new_lots.member_id, new_lots.id, 'accrue', CAST(:amount AS bigint),
           0, 0, CAST(:now AS timestamptz)
    FROM new_lots, operation
), events AS (
    SELECT CAST(:event_prefix AS text) || right(id, 12) AS id, member_id FROM new_lots
), stored AS (
    INSERT INTO outbox (event_id, subject, data, created_at)
    SELECT events.id, CAST(:subject AS text),
           convert_to('{"id":"' || events.id || '","customer_id":"' || events.member_id || '",'
                      || CAST(:rest AS text), 'UTF8'),
           CAST(:now AS timestamptz)
    FROM events ORDER BY events.id
)
SELECT count(*) FROM new_lots
""")


def _id_prefix() -> str:
    """The first 20 hex digits of a UUID, dashed, awaiting 12 more."""
    digits = uuid.uuid4().hex
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-"


async def _bulk_postgres(
    session: AsyncSession, lot: Lot, member_ids: list[str], own_city: bool
) -> int:
    granted = await session.execute(
        _BULK,
        {
            "own_city": own_city,
            "grant_id": lot.grant_id,
            "now": lot.created_at,
            "lot_prefix": _id_prefix(),
            "event_prefix": _id_prefix(),
            "source": lot.source,
            "reference": lot.reference,
            "amount": lot.initial,
            "active_from": lot.active_from,
            "expires_at": lot.expires_at,
            "activated_at": lot.activated_at,
            "restrictions": json.dumps(lot.restrictions) if lot.restrictions else None,
            "member_ids": member_ids,
            "subject": BonusGranted.subject(),
            "rest": _envelope_rest(lot),
        },
    )
    return int(granted.scalar_one())


def _envelope_rest(lot: Lot) -> str:
    """The envelope's JSON after its id and customer_id, ready to be appended."""
    event = _granted_event(lot.grant_id or "", lot)
    whole = json.loads(event.encode())
    rest = {k: v for k, v in whole.items() if k not in ("id", "customer_id")}
    return json.dumps(rest, separators=(",", ":"))[1:]
