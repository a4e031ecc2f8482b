"""Deliveries: the request, the policy decision, each cascade attempt and the reactions."""

import hashlib
import html
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from kit.contracts.notifier import (
    MessageClicked,
    MessageDelivered,
    MessageFailed,
    MessageOpened,
    MessagePayload,
    MessageSent,
)
from kit.db import insert_ignoring_conflict
from kit.errors import Conflict, IdempotencyKeyReused, NotFound, ServiceUnavailable
from kit.events import Event
from notifier import repository, service
from notifier.domain import policy, sms
from notifier.domain.quiet_hours import local_day, local_day_start
from notifier.models import Attempt, Contact, Delivery, PolicyDecision, outbox
from notifier.policy_store import PolicyStore, RedisError, Seed, SeedReader
from notifier.providers import OutgoingMessage, Provider, Undeliverable
from notifier.sent_receipts import SentReceipts
from notifier.settings import NotifierSettings
from notifier.signing import sign_token
from notifier.templates import Rendered, TemplateVariableMissing, render
from notifier.workflows.messages import (
    AttemptInput,
    AttemptOutcome,
    DecideInput,
    DecisionOut,
    DeliveryRequest,
    DeliveryResult,
    Opened,
    SendRetry,
)

_IDS = uuid.UUID("6f1c7f3e-4a55-4c8e-9a55-0d5e2f7a1b10")
# The order a delivery's status only ever moves up in; `failed` is final on its own.
_RANK = {"queued": 0, "deferred": 1, "sent": 2, "delivered": 3, "opened": 4, "clicked": 5}
_EVENTS: dict[str, type[Event]] = {
    "sent": MessageSent,
    "delivered": MessageDelivered,
    "opened": MessageOpened,
    "clicked": MessageClicked,
    "failed": MessageFailed,
}


class ContactUnknown(Conflict):
    code = "contact_unknown"
    title = "The customer's contacts are not known yet"


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"
    title = "No delivery with this id"


def delivery_id_for(idempotency_key: str) -> str:
    """Derived from the key, so the API and a child workflow name the same delivery."""
    return str(uuid.uuid5(_IDS, idempotency_key))


def request_hash(request: DeliveryRequest) -> str:
    return hashlib.sha256(request.model_dump_json().encode()).hexdigest()


async def open_delivery(session: AsyncSession, request: DeliveryRequest) -> Delivery:
    """Records the delivery once per idempotency key; a replay returns the first one."""
    digest = request_hash(request)
    existing = await repository.delivery_by_key(session, request.idempotency_key)
    if existing is None:
        if await repository.get_contact(session, request.customer_id) is None:
            raise ContactUnknown()
        await insert_ignoring_conflict(session, Delivery.__table__, _new_row(request, digest))
        existing = await repository.delivery_by_key(session, request.idempotency_key)
    assert existing is not None
    if existing.request_hash != digest:
        raise IdempotencyKeyReused()
    return existing


def _new_row(request: DeliveryRequest, digest: str) -> dict[str, Any]:
    return {
        "id": delivery_id_for(request.idempotency_key),
        "idempotency_key": request.idempotency_key,
        "request_hash": digest,
        "customer_id": request.customer_id,
        "channel": request.cascade[0],
        "channels": request.cascade,
        "template": request.template,
        "source": request.source,
        "variables": request.variables,
        "critical": request.critical,
        "sms_only_if_no_other_channel": request.sms_only_if_no_other_channel,
        "status": "queued",
        "created_at": utcnow(),
    }


def opened(delivery: Delivery, settings: NotifierSettings) -> Opened:
    retry = SendRetry(
        attempts=settings.send_attempts,
        backoff_seconds=settings.send_backoff_seconds,
        max_backoff_seconds=settings.send_max_backoff_seconds,
    )
    return Opened(
        delivery_id=delivery.id,
        status=delivery.status,
        finished=delivery.status in {"failed", "clicked"},
        send_retry=retry,
    )


async def get_delivery(session: AsyncSession, delivery_id: str) -> Delivery:
    delivery = await repository.get_delivery(session, delivery_id)
    if delivery is None:
        raise DeliveryNotFound()
    return delivery


# --- the careful-communication decision ---------------------------------------------------


async def decide(
    session: AsyncSession, store: PolicyStore, settings: NotifierSettings, ask: DecideInput
) -> DecisionOut:
    delivery = await get_delivery(session, ask.delivery_id)
    contact = await _contact(session, delivery)
    limits = await service.limits_for(session, delivery.source)
    bypass = delivery.critical or await transactional(session, delivery.template, delivery.channel)
    decision = None if bypass else policy.quiet_hours(ask.at, contact.time_zone, limits)
    if decision is None and not ask.count:
        decision = policy.Decision("send", "cascade_step")
    if decision is None:
        seed = partial(seed_of, session, delivery.customer_id, contact.time_zone, ask.at, limits)
        counting = Counting(delivery.customer_id, delivery.id, bypass, seed)
        decision = await counted(store, settings, counting, contact, limits, ask.at)
    await _record(session, delivery, decision, ask.at)
    return DecisionOut(action=decision.action, reason=decision.reason, until=decision.until)


@dataclass(frozen=True)
class Counting:
    """Who a decision against the cap is for, and what it is named (`decision_key`)."""

    customer_id: str
    decision_key: str
    bypass: bool
    seed: SeedReader
    planned: Seed | None = None  # a dry run: counts nothing, adds its own earlier sends


async def counted(
    store: PolicyStore,
    settings: NotifierSettings,
    counting: Counting,
    contact: Contact,
    limits: policy.Limits,
    at: datetime,
) -> policy.Decision:
    day = local_day(at, contact.time_zone)
    try:
        verdict = await store.decide(
            counting.customer_id,
            day,
            at,
            limits.daily_cap,
            limits.min_pause_seconds,
            counting.bypass,
            # Redis allows a delivery at most once (an allowed decision ends the waiting), so
            # the delivery names its decision: a retry, even after a replay, is not recounted.
            decision_key=counting.decision_key,
            seed=counting.seed,
            planned=counting.planned,
        )
    except RedisError:
        retry = settings.policy_unavailable_retry_seconds
        return policy.store_unavailable(at, counting.bypass, retry)
    return policy.from_verdict(
        verdict.allowed, verdict.reason, verdict.value, at, contact.time_zone, limits
    )


async def seed_of(
    session: AsyncSession, customer_id: str, time_zone: str, at: datetime, limits: policy.Limits
) -> Seed:
    """The day's count and last send from our own decisions, for a Redis that has none: one
    restarted empty must not grant every customer another full day's quota."""
    day_start = local_day_start(at, time_zone)
    since = min(day_start, at - timedelta(seconds=limits.min_pause_seconds))
    sends = await repository.counted_sends(session, customer_id, since, at)
    today = [s for s in sends if s >= day_start]
    return Seed(count=len(today), last=int(sends[-1].timestamp()) if sends else -1)


async def transactional(session: AsyncSession, name: str, channel: str) -> bool:
    template = await service.find_template(session, name, channel)
    return template is not None and template.category == "transactional"


async def _record(
    session: AsyncSession, delivery: Delivery, decision: policy.Decision, at: datetime
) -> None:
    session.add(
        PolicyDecision(
            delivery_id=delivery.id,
            customer_id=delivery.customer_id,
            action=decision.action,
            reason=decision.reason,
            decided_at=at,
            until=decision.until,
        )
    )
    if decision.action == "defer" and delivery.status in {"queued", "deferred"}:
        delivery.status, delivery.reason = "deferred", decision.reason
        delivery.deferred_until = decision.until
    elif decision.action == "drop":
        delivery.reason = decision.reason


async def _contact(session: AsyncSession, delivery: Delivery) -> Contact:
    contact = await repository.get_contact(session, delivery.customer_id)
    if contact is None:
        raise ContactUnknown()
    return contact


# --- one channel of the cascade -----------------------------------------------------------


def reachable(contact: Contact, channel: str) -> str | None:
    """Why the customer cannot be reached on ``channel`` now, or None when they can."""
    if not contact.consents.get(channel, False):
        return "no_consent"
    address = {
        "email": contact.email,
        "sms": contact.phone,
        "messenger": contact.phone,
        "push": bool(contact.push_tokens),
    }[channel]
    return None if address else "no_address"


class AttemptInFlight(ServiceUnavailable):
    """Another execution of the same attempt holds its claim: retried once that one is done."""

    code = "attempt_in_flight"
    title = "The message is being sent by another execution of the same attempt"


def attempt_id_of(ask: AttemptInput) -> str:
    return f"{ask.delivery_id}:{ask.position}"


async def claim_attempt(
    session: AsyncSession, ask: AttemptInput, lease: timedelta
) -> AttemptOutcome | None:
    """Takes the attempt for this execution before anything is sent; None when it is taken.

    Two executions of one attempt can overlap: a workflow task that timed out on a busy
    server runs its local activities again while the first run is still talking to the
    provider. Only the holder of the claim (a `queued` row, `created_at` the claim's time)
    sends; the other answers from the recorded outcome, or is retried while the claim is
    fresh. A claim older than ``lease`` outlived its holder (a crash mid-send, or the
    database gone before its commit) and is taken over; the new holder sends only if the
    provider's receipt is not in Redis (sent_receipts)."""
    attempt_id = attempt_id_of(ask)
    now = utcnow()
    if not await repository.insert_attempt_claim(session, _claim(attempt_id, ask, now)):
        row = await repository.get_attempt(session, attempt_id)
        if row is None:  # released between our insert and our read
            raise AttemptInFlight(attempt_id)
        if row.status != "queued":  # a retried activity: the provider already has it
            return _outcome(row)
        if not await repository.take_over_claim(session, attempt_id, row.created_at, now, lease):
            raise AttemptInFlight(attempt_id)
    return None


async def release_attempt(session: AsyncSession, ask: AttemptInput) -> None:
    """Gives the claim back after a failure a retry can cure (nothing was sent)."""
    await repository.delete_attempt_claim(session, attempt_id_of(ask))


async def attempt(
    session: AsyncSession,
    providers: dict[str, Provider],
    receipts: SentReceipts,
    settings: NotifierSettings,
    ask: AttemptInput,
) -> AttemptOutcome:
    """Sends the claimed attempt (`claim_attempt` first) and records its outcome."""
    row = await repository.get_attempt(session, attempt_id_of(ask))
    if row is None:  # the claim was released and taken by nobody: claim again on retry
        raise AttemptInFlight(attempt_id_of(ask))
    if row.status != "queued":
        return _outcome(row)
    delivery = await get_delivery(session, ask.delivery_id)
    contact = await _contact(session, delivery)
    sms_last = delivery.sms_only_if_no_other_channel
    reason = reachable(contact, ask.channel) or sms_rule(sms_last, contact, ask.channel)
    if reason:
        row.status, row.reason = "skipped", reason
        return _outcome(row)
    await _send(session, providers, receipts, settings, delivery, contact, row)
    return _outcome(row)


def _claim(attempt_id: str, ask: AttemptInput, now: datetime) -> dict[str, Any]:
    return {
        "id": attempt_id,
        "delivery_id": ask.delivery_id,
        "position": ask.position,
        "channel": ask.channel,
        "status": "queued",
        "cost": 0,
        "created_at": now,
    }


def _new_attempt(session: AsyncSession, attempt_id: str, ask: AttemptInput) -> Attempt:
    row = Attempt(**_claim(attempt_id, ask, utcnow()))
    session.add(row)
    return row


async def fail_attempt(session: AsyncSession, ask: AttemptInput, reason: str) -> AttemptOutcome:
    """Records the channel as failed for good (bad data: every retry would fail the same way),
    so the cascade moves on; an attempt already recorded keeps its outcome."""
    attempt_id = attempt_id_of(ask)
    row = await repository.get_attempt(session, attempt_id)
    if row is None:
        row = _new_attempt(session, attempt_id, ask)
    if row.status == "queued":  # ours (claimed) or never claimed
        row.status, row.reason = "failed", reason[:200]
    return _outcome(row)


def sms_rule(sms_last: bool, contact: Contact, channel: str) -> str | None:
    """The cost rule: SMS only to customers no cheaper channel reaches."""
    if channel != "sms" or not sms_last:
        return None
    others = [c for c in ("push", "email", "messenger") if reachable(contact, c) is None]
    return "other_channel_available" if others else None


async def _send(
    session: AsyncSession,
    providers: dict[str, Provider],
    receipts: SentReceipts,
    settings: NotifierSettings,
    delivery: Delivery,
    contact: Contact,
    row: Attempt,
) -> None:
    template = await service.find_template(
        session, delivery.template, row.channel, contact.language
    )
    if template is None:
        row.status, row.reason = "skipped", "no_template"
        return
    try:
        rendered = render(template, _variables(settings, delivery, contact, row))
    except TemplateVariableMissing:
        row.status, row.reason = "failed", "template_variable_missing"
        return
    # An earlier try whose outcome never reached the database may have sent it already.
    receipt_id = await receipts.recall(row.id)
    if receipt_id is None:
        try:
            receipt_id = await _deliver(providers, settings, contact, row, rendered)
        except Undeliverable as exc:
            row.status, row.reason = "failed", exc.reason
            return
        await receipts.remember(row.id, receipt_id)
    row.status, row.provider_message_id, row.sent_at = "sent", receipt_id, utcnow()
    segments = 1
    if row.channel == "sms":
        length = sms.measure(rendered.body)
        row.cost, segments = length.cost(settings.sms_cost_per_segment), length.segments
    delivery.channel, delivery.sent_at = row.channel, row.sent_at
    await _advance(session, delivery, "sent", segments=segments)


async def _deliver(
    providers: dict[str, Provider],
    settings: NotifierSettings,
    contact: Contact,
    row: Attempt,
    rendered: Rendered,
) -> str:
    provider = providers[row.channel]
    if row.channel != "push":
        to = contact.email if row.channel == "email" else contact.phone
        message = _message(settings, row, str(to), rendered, contact)
        return (await provider.send(message)).provider_message_id
    return await _push_to_devices(provider, settings, contact, row, rendered)


async def _push_to_devices(
    provider: Provider,
    settings: NotifierSettings,
    contact: Contact,
    row: Attempt,
    rendered: Rendered,
) -> str:
    """Every registered device; a token the provider refuses is forgotten."""
    tokens = dict(contact.push_tokens or {})
    receipts: list[str] = []
    for device, token in list(tokens.items()):
        try:
            receipt = await provider.send(_message(settings, row, token, rendered, contact))
            receipts.append(receipt.provider_message_id)
        except Undeliverable:
            tokens.pop(device)
    contact.push_tokens = tokens
    if not receipts:
        raise Undeliverable("invalid_token")
    return receipts[0]


def _message(
    settings: NotifierSettings, row: Attempt, to: str, rendered: Rendered, contact: Contact
) -> OutgoingMessage:
    if row.channel != "email":
        return OutgoingMessage(row.id, row.channel, to, rendered.subject, rendered.body)
    pixel = tracking_url(settings, "o", {"a": row.id})
    unsubscribe = unsubscribe_url(settings, contact.customer_id, "email")
    body = html.escape(rendered.body).replace("\n", "<br>\n")
    page = f'<html><body><p>{body}</p><img src="{pixel}" width="1" height="1" alt=""></body></html>'
    headers = {"List-Unsubscribe": f"<{unsubscribe}>"}
    return OutgoingMessage(row.id, "email", to, rendered.subject, rendered.body, page, headers)


def _variables(
    settings: NotifierSettings, delivery: Delivery, contact: Contact, row: Attempt
) -> dict[str, Any]:
    variables = {"name": contact.name or "there", **(delivery.variables or {})}
    target = str(variables.get("link") or settings.default_link)
    variables["click_url"] = tracking_url(settings, "c", {"a": row.id, "u": target})
    variables["unsubscribe_url"] = unsubscribe_url(settings, contact.customer_id, row.channel)
    return variables


def tracking_url(settings: NotifierSettings, kind: str, claims: dict[str, str]) -> str:
    token = sign_token(settings.tracking_secret, {"k": kind, **claims})
    return f"{settings.public_url}/v1/t/{kind}/{token}"


def unsubscribe_url(settings: NotifierSettings, customer_id: str, channel: str) -> str:
    token = sign_token(settings.tracking_secret, {"k": "u", "c": customer_id, "ch": channel})
    return f"{settings.public_url}/v1/unsubscribe/{token}"


def _outcome(row: Attempt) -> AttemptOutcome:
    status: Any = row.status if row.status in {"sent", "skipped"} else "failed"
    return AttemptOutcome(attempt_id=row.id, status=status, reason=row.reason)


# --- reactions and the end ----------------------------------------------------------------


async def react(
    session: AsyncSession, attempt_id: str, kind: str, reason: str | None = None
) -> Delivery | None:
    """A receipt, an open or a click: the attempt and the delivery move up, an event leaves."""
    row = await repository.get_attempt(session, attempt_id)
    if row is None:
        return None
    now = utcnow()
    if kind in {"undelivered", "failed"}:
        row.status, row.reason = "failed", reason or kind
        return await get_delivery(session, row.delivery_id)
    stamp = f"{kind}_at"
    if getattr(row, stamp) is not None:  # a second open or click tells nothing new
        return await get_delivery(session, row.delivery_id)
    setattr(row, stamp, now)
    if _RANK.get(kind, 0) > _RANK.get(row.status, 0):
        row.status = kind
    delivery = await get_delivery(session, row.delivery_id)
    await _advance(session, delivery, kind, row.channel)
    return delivery


async def _advance(
    session: AsyncSession,
    delivery: Delivery,
    status: str,
    channel: str | None = None,
    segments: int = 1,
) -> None:
    if delivery.status != "failed" and _RANK[status] > _RANK.get(delivery.status, 0):
        delivery.status, delivery.reason = status, None
    await outbox.add(session, _event(delivery, status, channel, segments=segments))


def _event(
    delivery: Delivery,
    status: str,
    channel: str | None = None,
    reason: str | None = None,
    segments: int = 1,
) -> Event:
    payload = MessagePayload(
        delivery_id=delivery.id,
        channel=channel or delivery.channel,
        template=delivery.template,
        source_ref=delivery.source,
        reason=reason,
        segments=segments,
    )
    event_class: Any = _EVENTS[status]
    event: Event = event_class(customer_id=delivery.customer_id, payload=payload)
    return event


async def finish(session: AsyncSession, delivery_id: str, reason: str | None) -> DeliveryResult:
    delivery = await get_delivery(session, delivery_id)
    if delivery.status in {"queued", "deferred"}:
        delivery.status = "failed"
        delivery.reason = reason or delivery.reason or "not_sent"
        await outbox.add(session, _event(delivery, "failed", reason=delivery.reason))
    return DeliveryResult(delivery_id=delivery.id, status=delivery.status, channel=delivery.channel)
