"""Segments as marketers see them: definitions, previews, members, distributions."""

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.cursors import (
    decode_key_cursor,
    encode_key_cursor,
    parse_moment,
)
from kit.db import SessionFactory
from kit.errors import Conflict, DomainError, NotFound
from kit.paging import split
from segments import repository
from segments.domain import rfm
from segments.domain.rules import Rule, RuleError, RuleErrors, parse, segment_references
from segments.memberships import Change, Counts, emit_changes
from segments.models import CustomerProfile, Segment
from segments.recompute import (
    dependents_of,
    in_dependency_order,
    ref_of,
    sync_rules,
)
from segments.rulesql import RuleCompiler, Scope
from segments.schemas import PreviewIn, SegmentIn

EXPORT_PAGE = 5000
MEMBER_CURSOR = "member"  # what a members cursor names, so no other string passes
SEGMENT_CURSOR = "segments"


class ProfileNotFound(NotFound):
    code = "profile_not_found"
    title = "No profile for this customer"


class SegmentNotFound(NotFound):
    code = "segment_not_found"
    title = "No segment with this id"


class InvalidRule(DomainError):
    code = "invalid_rule"
    status = 422
    title = "The segment rule is invalid"


class BuiltinSegmentReadOnly(Conflict):
    code = "builtin_segment_read_only"
    title = "Built-in segments are computed and cannot be changed"


class SegmentInUse(Conflict):
    code = "segment_in_use"
    title = "Other segments refer to this segment"


def _invalid(errors: Sequence[RuleError]) -> InvalidRule:
    described = [{"path": e.path, "reason": e.reason} for e in errors]
    return InvalidRule("; ".join(f"{e.path}: {e.reason}" for e in errors), errors=described)


async def get_profile(session: AsyncSession, customer_id: str) -> CustomerProfile:
    profile = await repository.get_profile(session, customer_id)
    if profile is None:
        raise ProfileNotFound()
    return profile


async def _validated(
    session: AsyncSession, definition: dict[str, Any], segment_id: str | None = None
) -> Rule:
    """Parses the rule and checks that each segment it names exists and forms no cycle."""
    try:
        rule = parse(definition)
    except RuleErrors as exc:
        raise _invalid(exc.errors) from exc
    segments = {s.id: s for s in await repository.list_segments(session)}
    errors = [
        RuleError(ref.path, "no segment with this id")
        for ref in segment_references(rule)
        if ref.segment_id not in segments
    ]
    if segment_id and not errors:
        errors = [
            RuleError(ref.path, "this would make the segment depend on itself")
            for ref in segment_references(rule)
            if ref.segment_id == segment_id or _depends_on(segments, ref.segment_id, segment_id)
        ]
    if errors:
        raise _invalid(errors)
    return rule


def _depends_on(segments: dict[str, Segment], start: str, target: str) -> bool:
    seen: set[str] = set()
    pending = [start]
    while pending:
        current = segments.get(pending.pop())
        if current is None or current.id in seen or current.kind != "rule":
            continue
        seen.add(current.id)
        refs = [ref.segment_id for ref in segment_references(parse(current.definition))]
        if target in refs:
            return True
        pending += refs
    return False


async def _scope(session: AsyncSession, now: datetime) -> Scope:
    return Scope(now, await repository.known_time_zones(session))


async def preview(session: AsyncSession, body: PreviewIn, now: datetime) -> tuple[int, list[str]]:
    rule = await _validated(session, body.definition)
    await repository.plan_for_everyone(session)
    members = RuleCompiler(await _scope(session, now)).members(rule).subquery("members")
    count = (await session.execute(select(func.count()).select_from(members))).scalar_one()
    sample_query = select(members.c.customer_id).order_by(members.c.customer_id)
    sample = (await session.scalars(sample_query.limit(body.sample_size))).all()
    return int(count), list(sample)


async def get_segment(session: AsyncSession, segment_id: str) -> Segment:
    segment = await repository.get_segment(session, segment_id)
    if segment is None:
        raise SegmentNotFound()
    return segment


async def segments_page(
    session: AsyncSession, kind: str | None, limit: int, cursor: str | None
) -> tuple[list[Segment], str | None]:
    """A page of segments by kind, then age, and the cursor of the next (None on the last)."""
    after = _segment_after(cursor) if cursor else None
    rows, more = split(list(await repository.segments_page(session, kind, after, limit + 1)), limit)
    if not more:
        return rows, None
    last = rows[-1]
    return rows, encode_key_cursor(SEGMENT_CURSOR, last.kind, last.created_at.isoformat(), last.id)


def _segment_after(cursor: str) -> tuple[str, datetime, str]:
    kind, at, segment_id = decode_key_cursor(cursor, SEGMENT_CURSOR, 3)
    return kind, parse_moment(at), segment_id


async def create_segment(session: AsyncSession, body: SegmentIn, now: datetime) -> Segment:
    await _validated(session, body.definition)
    segment = Segment(
        id=str(uuid.uuid4()),
        kind="rule",
        name=body.name,
        description=body.description,
        version=1,
        definition=body.definition,
        created_at=now,
        updated_at=now,
    )
    repository.add_segment(session, segment)
    await session.flush()
    await _materialize(session, segment.id, now)
    return segment


async def update_segment(
    session: AsyncSession, segment_id: str, body: SegmentIn, now: datetime
) -> Segment:
    segment = await _editable(session, segment_id)
    await _validated(session, body.definition, segment_id)
    segment.name = body.name
    segment.description = body.description
    segment.definition = body.definition
    segment.version += 1
    segment.updated_at = now
    await session.flush()
    await _materialize(session, segment.id, now)
    return segment


async def _editable(session: AsyncSession, segment_id: str) -> Segment:
    segment = await get_segment(session, segment_id)
    if segment.kind != "rule":
        raise BuiltinSegmentReadOnly()
    return segment


async def _materialize(session: AsyncSession, segment_id: str, now: datetime) -> Counts:
    """Brings the segment and every segment built on it up to date, now."""
    await repository.lock_memberships(session, exclusive=True)
    await repository.plan_for_everyone(session)
    rules = in_dependency_order(await repository.list_segments(session))
    return await sync_rules(session, dependents_of(segment_id, rules), await _scope(session, now))


async def delete_segment(session: AsyncSession, segment_id: str, now: datetime) -> None:
    """Its members exit it (one event each), then it is gone."""
    segment = await _editable(session, segment_id)
    users = [
        s.name
        for s in await repository.list_segments(session, "rule")
        if s.id != segment_id
        and segment_id in {r.segment_id for r in segment_references(parse(s.definition))}
    ]
    if users:
        raise SegmentInUse(f"used by: {', '.join(sorted(users))}")
    await repository.lock_memberships(session, exclusive=True)
    customers = await repository.drop_memberships(session, segment_id)
    changes = [Change(segment_id, customer, entered=False) for customer in customers]
    await emit_changes(session, changes, {segment_id: ref_of(segment)}, now)
    await repository.delete_segment(session, segment)


async def member_count(session: AsyncSession, segment_id: str) -> int:
    return await repository.count_members(session, segment_id)


async def members_page(
    session: AsyncSession, segment_id: str, cursor: str | None, limit: int
) -> tuple[list[str], str | None]:
    await get_segment(session, segment_id)
    after = _member_after(cursor) if cursor else None
    members = await repository.members_page(session, segment_id, after, limit + 1)
    if len(members) > limit:
        # Opaque, as every list's: a cursor not handed out is 400 `invalid_cursor`.
        return members[:limit], encode_key_cursor(MEMBER_CURSOR, members[limit - 1])
    return members, None


def _member_after(cursor: str) -> str:
    return decode_key_cursor(cursor, MEMBER_CURSOR)[0]


async def export_members(sessions: SessionFactory, segment_id: str) -> AsyncIterator[str]:
    """CSV, one customer per line, read page by page so any size streams in bounded memory."""
    yield "customer_id\n"
    cursor: str | None = None
    while True:
        async with sessions() as session:
            page = await repository.members_page(session, segment_id, cursor, EXPORT_PAGE)
        if not page:
            return
        yield "".join(f"{customer}\n" for customer in page)
        cursor = page[-1]


async def segments_of(session: AsyncSession, customer_id: str) -> Sequence[Segment]:
    return await repository.segments_of(session, customer_id)


async def rfm_distribution(session: AsyncSession) -> dict[str, int]:
    counts = await repository.member_counts(session, rfm.SEGMENT_IDS)
    return {key: counts.get(rfm.PREFIX + key, 0) for key in rfm.NAMES}
