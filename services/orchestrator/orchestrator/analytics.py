"""Projections of purchases, returns, messages and grants onto chains, and the report built
from them.

A conversion is an enrollment's first purchase after it started and no later than the goal's
attribution window after its last touch (a holdout member's touches are the ones it would have
had). While the enrollment runs its last touch is not known yet, so the window is applied in
the report, against the touches the exit records: a purchase ends the enrollment within a
second, so a late purchase (day 25 of a 30-day wait with a 14-day window) stops counting then.

What a chain earns is measured against its holdout, never as gross revenue: see
docs/orchestrator.md for every figure and formula.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from kit.contracts.loyalty import (
    BonusGranted,
    LotPoints,
    MemberRegistered,
    PurchaseConfirmed,
    PurchaseReturned,
)
from kit.contracts.notifier import MessagePayload
from orchestrator import analytics_repository as store
from orchestrator import repository
from orchestrator.analytics_repository import NOT_ENROLLED
from orchestrator.campaigns.outcomes import campaign_source
from orchestrator.chains import published_definition
from orchestrator.models import Campaign, ChainGrant, ChainMessage, Enrollment
from orchestrator.stats import (
    cuped_adjust,
    cuped_theta,
    incremental_roi,
    mde_mean,
    mde_proportion,
    moments,
    scaled,
    uplift,
    welch,
)
from orchestrator.workflows import parse_source

STATUS_RANK = {"sent": 1, "delivered": 2, "opened": 3, "clicked": 4, "failed": 0}
# Enrollments older than this cannot be inside any window a chain may define.
_LONGEST_LOOKBACK = timedelta(days=400)
PRE_PERIOD = timedelta(days=90)
CAMPAIGN_VERSION = 0


@dataclass(frozen=True)
class Valuation:
    """What the report needs from outside the projections: loyalty's point value and the
    margin the incremental revenue earns."""

    point_value: int  # minor units one redeemed point pays for, from loyalty's programme
    margin_bp: int = 10_000  # gross margin in basis points of revenue


# --- projections --------------------------------------------------------------------------


def measured_source(source: str) -> tuple[str, int, str] | None:
    """What a delivery's source or a lot's reference is charged to: a chain's version and step,
    or a campaign, kept under its source `campaign:{id}` (a chain id has no colon) as version 0."""
    if source.startswith("campaign:"):
        return source, CAMPAIGN_VERSION, "campaign"
    return parse_source(source)


async def record_message(
    session: AsyncSession, event_type: str, message: MessagePayload, costs: dict[str, int]
) -> None:
    """One row per attempt (delivery and channel); an SMS costs once per segment."""
    source = measured_source(message.source_ref)
    if source is None:
        return
    chain_id, version, step = source
    status = event_type.removeprefix("message.")
    row = await store.message(session, message.delivery_id, message.channel)
    if row is None:
        row = _new_message(message, chain_id, version, step, status)
        session.add(row)
    if status != "failed":
        row.segments = max(row.segments or 1, message.segments)
        per_segment = row.segments if message.channel == "sms" else 1
        row.cost = costs.get(message.channel, 0) * per_segment
    if STATUS_RANK.get(status, 0) >= STATUS_RANK.get(row.status, 0):
        row.status = status


def _new_message(
    message: MessagePayload, chain_id: str, version: int, step: str, status: str
) -> ChainMessage:
    return ChainMessage(
        delivery_id=message.delivery_id,
        channel=message.channel,
        chain_id=chain_id,
        version=version,
        step=step,
        status=status,
        segments=1,
        cost=0,
    )


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
    await store.add_grant(session, values)


async def record_member(session: AsyncSession, event: MemberRegistered) -> None:
    """The programme knows the customer from now: he counts in the months that follow."""
    if event.customer_id is not None:
        await store.add_member(session, event.customer_id, event.occurred_at)


def lookback_from(at: datetime) -> datetime:
    """The earliest enrollment a purchase at `at` can convert."""
    return at - _LONGEST_LOOKBACK


async def record_purchase(session: AsyncSession, event: PurchaseConfirmed) -> None:
    """Every purchase (pre-period spend, the programme's revenue) and the chains' own points
    that paid for it."""
    await record_purchases(session, [event])


async def record_purchases(session: AsyncSession, events: Sequence[PurchaseConfirmed]) -> None:
    """``record_purchase`` of a batch: the purchases and the members in one statement each."""
    rows = [
        {
            "purchase_key": event.payload.purchase_key,
            "customer_id": event.customer_id,
            "purchased_at": event.payload.purchased_at,
            "paid_amount": event.payload.paid_amount,
            "refunded": 0,
        }
        for event in events
    ]
    await store.add_purchases(session, rows)
    seen: dict[str, datetime] = {}
    for event in events:
        at, customer = event.payload.purchased_at, event.customer_id
        if customer is not None and (customer not in seen or at < seen[customer]):
            seen[customer] = at
    if seen:
        await store.add_members(session, seen)
    lots = [lot for event in events for lot in event.payload.redeemed_lots]
    grants = await _grants_of(session, lots)  # one read for the whole batch
    for event in events:
        purchase = event.payload
        await _record_lots(session, purchase.purchase_key, purchase.redeemed_lots, 1, grants)


async def record_return(session: AsyncSession, event: PurchaseReturned) -> None:
    """Refunds come off revenue; points restored to a chain's lots come off its cost."""
    returned = event.payload
    # Purchases recorded before they were keyed by store keep their bare txid.
    keys = (returned.purchase_key, returned.txid)
    await store.refund(session, keys, returned.refunded_amount)
    reference = f"{returned.purchase_key}/{returned.return_id}"  # return ids are per purchase
    grants = await _grants_of(session, returned.restored_lots)
    await _record_lots(session, reference, returned.restored_lots, -1, grants)


async def _grants_of(session: AsyncSession, lots: Sequence[LotPoints]) -> dict[str, ChainGrant]:
    """The chains' grants these lots came from, by grant id (a lot of no chain has none)."""
    return await store.chain_grants(session, sorted({lot.grant_id for lot in lots if lot.grant_id}))


async def _record_lots(
    session: AsyncSession,
    reference: str,
    lots: Sequence[LotPoints],
    sign: int,
    grants: dict[str, ChainGrant],
) -> None:
    """Only lots a chain granted count: matched by the grant id its grant answer named (in
    ``grants``, see ``_grants_of``), or by the chain reference loyalty kept on the lot."""
    for lot in lots:
        grant = grants.get(lot.grant_id or "")
        if grant is not None:
            origin: tuple[str, int] | None = (grant.chain_id, grant.version)
        else:
            parsed = measured_source(lot.reference or "")
            origin = (parsed[0], parsed[1]) if parsed else None
        if origin is None:
            continue
        values = {
            "id": f"{reference}:{lot.lot_id}",
            "grant_id": lot.grant_id or lot.lot_id,
            "chain_id": origin[0],
            "version": origin[1],
            "points": sign * lot.points,
        }
        await store.add_redemption(session, values)


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
            "purchase_id": purchase.purchase_key,
            "revenue": purchase.paid_amount,
            "refunded": 0,
            "redeemed_points": purchase.redeemed_points,
            "converted_at": purchase.purchased_at,
        }
        converted += await store.add_conversion(session, values)
    return converted


async def _within_window(session: AsyncSession, enrollment: Enrollment, at: datetime) -> bool:
    if enrollment.enrolled_at > at or enrollment.exit_reason == NOT_ENROLLED:
        return False
    if enrollment.status == "active":
        return True  # provisional: the report applies the window once the exit is recorded
    windows = await _windows(session, enrollment.chain_id, {enrollment.version})
    window = windows[enrollment.version]
    return _counts(enrollment.status, enrollment.enrolled_at, enrollment.last_touch_at, at, window)


async def _windows(
    session: AsyncSession, chain_id: str, versions: set[int]
) -> dict[int, timedelta | None]:
    windows: dict[int, timedelta | None] = {}
    for version in versions:
        definition = await published_definition(session, chain_id, version)
        windows[version] = definition.goal.attribution_window if definition else None
    return windows


def _counts(
    status: str,
    enrolled_at: datetime,
    last_touch_at: datetime | None,
    at: datetime,
    window: timedelta | None,
) -> bool:
    if status == "active":
        return True
    if window is None:
        return False
    return at <= (last_touch_at or enrolled_at) + window


# --- the report -----------------------------------------------------------------------------


@dataclass
class Group:
    """Per enrollment of one group: converted or not, net revenue, pre-period spend."""

    converted: list[bool] = field(default_factory=list)
    revenue: list[float] = field(default_factory=list)
    pre_spend: list[float] = field(default_factory=list)
    attributed: int = 0
    returned: int = 0

    @property
    def size(self) -> int:
        return len(self.converted)


@dataclass
class Outcomes:
    treated: Group = field(default_factory=Group)
    holdout: Group = field(default_factory=Group)
    active: int = 0
    exited: dict[str, int] = field(default_factory=dict)


@dataclass
class Costs:
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    sms_segments: int = 0
    points_granted: int = 0
    points_redeemed: int = 0
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)


async def report(session: AsyncSession, chain_id: str, valuation: Valuation) -> dict[str, Any]:
    versions = {v.version for v in await repository.versions(session, chain_id)}
    rows = await store.outcomes(session, chain_id)
    versions |= {row.version for row in rows}
    windows = await _windows(session, chain_id, versions)
    pre = await _pre_spend(session, chain_id, rows)
    outcomes = _outcomes(rows, windows, pre)
    costs = await _costs(session, chain_id)
    versions |= set(costs)
    every = _merge_outcomes(list(outcomes.values()))
    overall = _merge_costs(list(costs.values()))
    return {
        "chain_id": chain_id,
        "point_value": valuation.point_value,
        "margin_bp": valuation.margin_bp,
        "total": figures(every, overall, valuation),
        "versions": [
            {
                "version": v,
                **figures(outcomes.get(v, Outcomes()), costs.get(v, Costs()), valuation),
                "steps": costs.get(v, Costs()).steps,
            }
            for v in sorted(versions)
        ],
    }


async def _pre_spend(session: AsyncSession, chain_id: str, rows: Sequence[Any]) -> dict[str, float]:
    if not rows:
        return {}
    since = min(row.enrolled_at for row in rows) - PRE_PERIOD
    spend: dict[str, float] = defaultdict(float)
    for enrollment_id, enrolled_at, purchased_at, amount in await store.prior_purchases(
        session, chain_id, since
    ):
        if purchased_at >= enrolled_at - PRE_PERIOD:
            spend[enrollment_id] += amount
    return spend


def _outcomes(
    rows: Sequence[Any], windows: dict[int, timedelta | None], pre: dict[str, float]
) -> dict[int, Outcomes]:
    found: dict[int, Outcomes] = defaultdict(Outcomes)
    for row in rows:
        into = found[row.version]
        group = into.holdout if row.holdout else into.treated
        converted = row.converted_at is not None and _counts(
            row.status, row.enrolled_at, row.last_touch_at, row.converted_at, windows[row.version]
        )
        net = (row.revenue - row.refunded) if converted else 0
        group.converted.append(converted)
        group.revenue.append(float(net))
        group.pre_spend.append(pre.get(row.id, 0.0))
        group.attributed += net
        group.returned += row.refunded if converted else 0
        if row.status == "active":
            into.active += 1
        else:
            reason = row.exit_reason or "unknown"
            into.exited[reason] = into.exited.get(reason, 0) + 1
    return found


async def _costs(session: AsyncSession, chain_id: str) -> dict[int, Costs]:
    found: dict[int, Costs] = defaultdict(Costs)
    for version, step, channel, status, count, cost, segments in await store.message_totals(
        session, chain_id
    ):
        costs, failed = found[version], status == "failed"
        entry = costs.by_channel.setdefault(channel, {"sent": 0, "failed": 0, "cost": 0})
        entry["failed" if failed else "sent"] += count
        entry["cost"] += int(cost)
        costs.sms_segments += int(segments) if channel == "sms" and not failed else 0
        messages = _step(costs, step)["messages"]
        messages[channel] = messages.get(channel, 0) + count
    for version, step, amount in await store.grant_totals(session, chain_id):
        found[version].points_granted += int(amount)
        _step(found[version], step)["points_granted"] += int(amount)
    for version, points in (await store.redeemed_totals(session, chain_id)).items():
        found[version].points_redeemed += points
    return found


def _step(costs: Costs, step: str) -> dict[str, Any]:
    return costs.steps.setdefault(step, {"messages": {}, "points_granted": 0})


def _merge_outcomes(parts: list[Outcomes]) -> Outcomes:
    merged = Outcomes()
    for part in parts:
        for mine, theirs in ((merged.treated, part.treated), (merged.holdout, part.holdout)):
            mine.converted += theirs.converted
            mine.revenue += theirs.revenue
            mine.pre_spend += theirs.pre_spend
            mine.attributed += theirs.attributed
            mine.returned += theirs.returned
        merged.active += part.active
        for reason, count in part.exited.items():
            merged.exited[reason] = merged.exited.get(reason, 0) + count
    return merged


def _merge_costs(parts: list[Costs]) -> Costs:
    merged = Costs()
    for part in parts:
        for channel, entry in part.by_channel.items():
            into = merged.by_channel.setdefault(channel, {"sent": 0, "failed": 0, "cost": 0})
            for key, value in entry.items():
                into[key] += value
        merged.sms_segments += part.sms_segments
        merged.points_granted += part.points_granted
        merged.points_redeemed += part.points_redeemed
    return merged


def figures(outcomes: Outcomes, costs: Costs, valuation: Valuation) -> dict[str, Any]:
    """Every figure of one chain, version (or any set of enrollments) against its holdout."""
    treated, holdout = outcomes.treated, outcomes.holdout
    converted_t, converted_h = sum(treated.converted), sum(holdout.converted)
    lift = uplift(converted_t, treated.size, converted_h, holdout.size)
    plain = welch(moments(treated.revenue), moments(holdout.revenue))
    theta = cuped_theta(treated.revenue + holdout.revenue, treated.pre_spend + holdout.pre_spend)
    adjusted = cuped_adjust(
        treated.revenue + holdout.revenue, treated.pre_spend + holdout.pre_spend, theta
    )
    cuped = welch(moments(adjusted[: treated.size]), moments(adjusted[treated.size :]))
    message_cost = sum(entry["cost"] for entry in costs.by_channel.values())
    points_cost = costs.points_redeemed * valuation.point_value
    cost = message_cost + points_cost
    incremental = scaled(plain, treated.size)
    incremental_cuped = scaled(cuped, treated.size)
    return {
        "enrolled": treated.size + holdout.size,
        "treated": treated.size,
        "holdout": holdout.size,
        "active": outcomes.active,
        "exited": outcomes.exited,
        "conversions": {"treated": converted_t, "holdout": converted_h},
        "uplift": asdict(lift) if lift else None,
        "revenue_per_customer": asdict(plain) if plain else None,
        "revenue_per_customer_cuped": {**asdict(cuped), "theta": round(theta, 6)}
        if cuped
        else None,
        "incremental_revenue": incremental,
        "incremental_revenue_cuped": incremental_cuped,
        "attributed_revenue": treated.attributed,
        "returned_revenue": treated.returned,
        "messages_by_channel": costs.by_channel,
        "points_granted": costs.points_granted,
        "cost": {
            "messages": message_cost,
            "sms_segments": costs.sms_segments,
            "points_redeemed": costs.points_redeemed,
            "points": points_cost,
            "total": cost,
        },
        "incremental_gross_profit": _profit(incremental, valuation),
        "incremental_roi": _roi(incremental, valuation, cost),
        "incremental_roi_cuped": _roi(incremental_cuped, valuation, cost),
        "minimum_detectable_effect": {
            "conversion": mde_proportion(
                lift.holdout_rate if lift else 0.0, treated.size, holdout.size
            ),
            "revenue_per_customer": mde_mean(moments(treated.revenue), moments(holdout.revenue)),
        },
    }


async def campaign_report(
    session: AsyncSession, campaign: Campaign, valuation: Valuation
) -> dict[str, Any]:
    """The chain's figures for a campaign: its treated members against its holdout, over each
    member's attribution window from the moment the campaign reached him."""
    members = await store.campaign_members(session, campaign.id)
    since = min((at for _, _, at in members), default=utcnow()) - PRE_PERIOD
    purchases = await store.campaign_purchases(session, campaign.id, since)
    window = timedelta(days=campaign.attribution_window_days)
    outcomes = campaign_outcomes(members, purchases, window)
    costs = _merge_costs(list((await _costs(session, campaign_source(campaign.id))).values()))
    if campaign.grant:
        covered = await store.campaign_points_granted(session, campaign.id)
        costs.points_granted = covered * int(campaign.grant["amount"])
    return {
        "campaign_id": campaign.id,
        "point_value": valuation.point_value,
        "margin_bp": valuation.margin_bp,
        "holdout_share": campaign.holdout_share,
        "attribution_window_days": campaign.attribution_window_days,
        "total": figures(outcomes, costs, valuation),
    }


def campaign_outcomes(
    members: Sequence[tuple[str, bool, datetime]],
    purchases: Sequence[tuple[str, datetime, int, int]],
    window: timedelta,
) -> Outcomes:
    """Per member: converted when he bought within the window after being reached, his net
    revenue over the window (a campaign ends nothing, so every purchase in it counts, not only
    the first), and his spend in the pre-period before."""
    bought: dict[str, list[tuple[datetime, int, int]]] = defaultdict(list)
    for customer_id, at, paid, refunded in purchases:
        bought[customer_id].append((at, paid, refunded))
    found = Outcomes()
    for customer_id, holdout, reached_at in members:
        group = found.holdout if holdout else found.treated
        mine = bought.get(customer_id, [])
        inside = [
            (paid, back) for at, paid, back in mine if reached_at <= at <= reached_at + window
        ]
        before = [
            paid - back for at, paid, back in mine if reached_at - PRE_PERIOD <= at < reached_at
        ]
        net = sum(paid - back for paid, back in inside)
        group.converted.append(bool(inside))
        group.revenue.append(float(net))
        group.pre_spend.append(float(sum(before)))
        group.attributed += net
        group.returned += sum(back for _, back in inside)
    return found


def _profit(incremental: dict[str, Any] | None, valuation: Valuation) -> int | None:
    if incremental is None:
        return None
    return round(incremental["estimate"] * valuation.margin_bp / 10_000)


def _roi(incremental: dict[str, Any] | None, valuation: Valuation, cost: int) -> float | None:
    if incremental is None:
        return None
    return incremental_roi(incremental["estimate"], valuation.margin_bp, cost)
