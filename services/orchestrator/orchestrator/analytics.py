"""Projections of purchases, messages and grants onto chains, and the report built from them.

A conversion is an enrollment's first purchase after it started and no later than the goal's
attribution window after its last touch (a holdout member's touches are the ones it would have
had). Revenue is what converting purchases paid with money; cost is the chain's messages plus
the points redeemed in those purchases, valued at `point_value` minor units each.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.contracts.loyalty import BonusGranted, PurchaseConfirmed
from kit.contracts.notifier import MessagePayload
from kit.db import insert_ignoring_conflict
from orchestrator import repository
from orchestrator.chains import published_definition
from orchestrator.models import ChainGrant, ChainMessage, Conversion, Enrollment
from orchestrator.stats import roi, uplift
from orchestrator.workflows import parse_source

STATUS_RANK = {"sent": 1, "delivered": 2, "opened": 3, "clicked": 4, "failed": 0}
NOT_ENROLLED = "not_in_audience"
# Enrollments older than this cannot be inside any window a chain may define.
_LONGEST_LOOKBACK = timedelta(days=400)


async def record_message(
    session: AsyncSession, event_type: str, message: MessagePayload, costs: dict[str, int]
) -> None:
    source = parse_source(message.source_ref)
    if source is None:
        return
    chain_id, version, step = source
    status = event_type.removeprefix("message.")
    row = await session.get(ChainMessage, message.delivery_id)
    if row is None:
        row = ChainMessage(
            delivery_id=message.delivery_id,
            chain_id=chain_id,
            version=version,
            step=step,
            channel=message.channel,
            status=status,
            cost=0,
        )
        session.add(row)
    if status != "failed" and row.cost == 0:
        row.cost, row.channel = costs.get(message.channel, 0), message.channel
    if STATUS_RANK.get(status, 0) >= STATUS_RANK.get(row.status, 0):
        row.status = status


async def record_grant(session: AsyncSession, event: BonusGranted) -> None:
    source = parse_source(event.payload.reference or "")
    if source is None or event.customer_id is None:
        return
    chain_id, version, step = source
    values = {
        "grant_id": event.payload.grant_id,
        "chain_id": chain_id,
        "version": version,
        "step": step,
        "customer_id": event.customer_id,
        "amount": event.payload.amount,
    }
    await insert_ignoring_conflict(session, ChainGrant.__table__, values)


def lookback_from(at: datetime) -> datetime:
    """The earliest enrollment a purchase at `at` can convert."""
    return at - _LONGEST_LOOKBACK


async def record_conversions(
    session: AsyncSession, event: PurchaseConfirmed, candidates: Sequence[tuple[Enrollment, bool]]
) -> int:
    """`candidates`: the customer's enrollments since the lookback, each with whether it has
    converted already (`repository.purchase_candidates`); only the others are looked at."""
    purchase = event.payload
    converted = 0
    for enrollment, done in candidates:
        if done or not await _within_window(session, enrollment, purchase.purchased_at):
            continue
        values = {
            "enrollment_id": enrollment.id,
            "chain_id": enrollment.chain_id,
            "version": enrollment.version,
            "holdout": enrollment.holdout,
            "purchase_id": purchase.txid,
            "revenue": purchase.paid_amount,
            "redeemed_points": purchase.redeemed_points,
            "converted_at": purchase.purchased_at,
        }
        converted += await insert_ignoring_conflict(session, Conversion.__table__, values)
    return converted


async def _within_window(session: AsyncSession, enrollment: Enrollment, at: datetime) -> bool:
    if enrollment.enrolled_at > at or enrollment.exit_reason == NOT_ENROLLED:
        return False
    if enrollment.status == "active":
        return True
    definition = await published_definition(session, enrollment.chain_id, enrollment.version)
    if definition is None:
        return False
    window = definition.goal.attribution_window
    return at <= (enrollment.last_touch_at or enrollment.enrolled_at) + window


async def report(session: AsyncSession, chain_id: str, point_value: int) -> dict[str, Any]:
    versions = [v.version for v in await repository.versions(session, chain_id)]
    rows = await _enrollment_counts(session, chain_id)
    messages = await _messages(session, chain_id)
    grants = await _grants(session, chain_id)
    conversions = await _conversions(session, chain_id)
    seen = sorted(set(versions) | {r[0] for r in rows} | set(messages) | set(conversions))
    return {
        "chain_id": chain_id,
        "versions": [
            _version_report(
                v, rows, messages.get(v, []), grants.get(v, []), conversions.get(v, []), point_value
            )
            for v in seen
        ],
    }


async def _enrollment_counts(session: AsyncSession, chain_id: str) -> Sequence[Any]:
    query = (
        select(
            Enrollment.version,
            Enrollment.holdout,
            Enrollment.status,
            Enrollment.exit_reason,
            func.count(),
        )
        .where(Enrollment.chain_id == chain_id)
        .group_by(Enrollment.version, Enrollment.holdout, Enrollment.status, Enrollment.exit_reason)
    )
    return (await session.execute(query)).all()


async def _messages(session: AsyncSession, chain_id: str) -> dict[int, list[ChainMessage]]:
    found = await session.scalars(select(ChainMessage).where(ChainMessage.chain_id == chain_id))
    return _by_version(found.all())


async def _grants(session: AsyncSession, chain_id: str) -> dict[int, list[ChainGrant]]:
    found = await session.scalars(select(ChainGrant).where(ChainGrant.chain_id == chain_id))
    return _by_version(found.all())


async def _conversions(session: AsyncSession, chain_id: str) -> dict[int, list[Conversion]]:
    found = await session.scalars(select(Conversion).where(Conversion.chain_id == chain_id))
    return _by_version(found.all())


def _by_version(rows: Sequence[Any]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.version].append(row)
    return grouped


def _version_report(
    version: int,
    enrollment_rows: Sequence[Any],
    messages: list[ChainMessage],
    grants: list[ChainGrant],
    conversions: list[Conversion],
    point_value: int,
) -> dict[str, Any]:
    counts = _counts(version, enrollment_rows)
    treated_conversions = [c for c in conversions if not c.holdout]
    revenue = sum(c.revenue for c in treated_conversions)
    redeemed = sum(c.redeemed_points for c in treated_conversions)
    message_cost = sum(m.cost for m in messages)
    cost = message_cost + redeemed * point_value
    lift = uplift(
        len(treated_conversions),
        counts["treated"],
        len(conversions) - len(treated_conversions),
        counts["holdout"],
    )
    return {
        "version": version,
        **counts,
        "messages_by_channel": _by_channel(messages),
        "points_granted": sum(g.amount for g in grants),
        "points_redeemed": redeemed,
        "conversions": {
            "treated": len(treated_conversions),
            "holdout": len(conversions) - len(treated_conversions),
        },
        "revenue": revenue,
        "cost": cost,
        "roi": roi(revenue, cost),
        "uplift": asdict(lift) if lift else None,
        "steps": _steps(messages, grants),
    }


def _counts(version: int, rows: Sequence[Any]) -> dict[str, Any]:
    counts: dict[str, Any] = {"enrolled": 0, "treated": 0, "holdout": 0, "active": 0, "exited": {}}
    for row_version, holdout, status, reason, count in rows:
        if row_version != version or reason == NOT_ENROLLED:
            continue
        counts["enrolled"] += count
        counts["holdout" if holdout else "treated"] += count
        if status == "active":
            counts["active"] += count
        else:
            counts["exited"][reason] = counts["exited"].get(reason, 0) + count
    return counts


def _by_channel(messages: list[ChainMessage]) -> dict[str, dict[str, int]]:
    channels: dict[str, dict[str, int]] = {}
    for message in messages:
        entry = channels.setdefault(message.channel, {"sent": 0, "failed": 0, "cost": 0})
        entry["failed" if message.status == "failed" else "sent"] += 1
        entry["cost"] += message.cost
    return channels


def _steps(messages: list[ChainMessage], grants: list[ChainGrant]) -> dict[str, dict[str, Any]]:
    steps: dict[str, dict[str, Any]] = {}
    for message in messages:
        entry = steps.setdefault(message.step, {"messages": {}, "points_granted": 0})
        entry["messages"][message.channel] = entry["messages"].get(message.channel, 0) + 1
    for grant in grants:
        entry = steps.setdefault(grant.step, {"messages": {}, "points_granted": 0})
        entry["points_granted"] += grant.amount
    return steps
