"""Signed clicks, opens and unsubscribes, provider callbacks, and the workflow they wake."""

import json
import logging
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from kit.errors import DomainError, ServiceUnavailable
from kit.resources import Resources
from notifier import deliveries, repository, service
from notifier.schemas import ProviderCallback, UnsubscribeOut
from notifier.settings import NotifierSettings
from notifier.signing import InvalidToken, read_token, verify_callback
from notifier.workflows import DELIVERY_WORKFLOW, delivery_workflow_id
from notifier.workflows.messages import DeliveryRequest, ReactionV1

log = logging.getLogger(__name__)


class WorkflowsUnavailable(ServiceUnavailable):
    code = "service_unavailable"
    title = "Temporal did not accept the delivery"


class AttemptNotRecorded(ServiceUnavailable):
    code = "attempt_not_recorded"
    title = "The attempt is not recorded yet: call back later"


class InvalidCallback(DomainError):
    code = "invalid_callback"
    status = 422
    title = "The callback's body is not understood"


@dataclass(frozen=True)
class Signal:
    workflow_id: str
    reaction: ReactionV1


async def start_workflow(client: Client, task_queue: str, request: DeliveryRequest) -> None:
    """Once per idempotency key: a running or finished delivery is never started again."""
    try:
        await client.start_workflow(
            DELIVERY_WORKFLOW,
            request,
            id=delivery_workflow_id(request.idempotency_key),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        return
    except RPCError as exc:  # the request rolls back; the caller retries with the same key
        raise WorkflowsUnavailable(str(exc)) from exc


async def send_signal(resources: Resources, signal: Signal | None) -> None:
    if signal is None:
        return
    handle = (await resources.temporal()).get_workflow_handle(signal.workflow_id)
    try:
        await handle.signal("reaction", signal.reaction)
    except RPCError as exc:  # the cascade already ended: the reaction is recorded all the same
        log.info("reaction not signalled: %s", exc)


async def _react(
    session: AsyncSession, attempt_id: str, kind: str, reason: str | None = None
) -> Signal | None:
    delivery = await deliveries.react(session, attempt_id, kind, reason)
    if delivery is None:
        return None
    reaction = ReactionV1.model_validate({"attempt_id": attempt_id, "kind": kind, "reason": reason})
    return Signal(delivery_workflow_id(delivery.idempotency_key), reaction)


def _claims(settings: NotifierSettings, token: str, kind: str) -> dict[str, str]:
    claims = read_token(settings.tracking_secret, token)
    if claims.get("k") != kind:
        raise InvalidToken()
    return claims


async def click(
    session: AsyncSession, settings: NotifierSettings, token: str
) -> tuple[str, Signal | None]:
    claims = _claims(settings, token, "c")
    return claims["u"], await _react(session, claims["a"], "clicked")


async def opened(session: AsyncSession, settings: NotifierSettings, token: str) -> Signal | None:
    return await _react(session, _claims(settings, token, "o")["a"], "opened")


async def unsubscribe(
    session: AsyncSession, settings: NotifierSettings, token: str
) -> UnsubscribeOut:
    claims = _claims(settings, token, "u")
    await service.set_consent(session, claims["c"], claims["ch"], False, "unsubscribe_link")
    return UnsubscribeOut(customer_id=claims["c"], channel=claims["ch"], unsubscribed=True)


async def callback(
    session: AsyncSession,
    settings: NotifierSettings,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    now: int,
) -> Signal | None:
    verify_callback(
        settings.callback_secret,
        body,
        signature,
        timestamp,
        now,
        settings.callback_tolerance_seconds,
    )
    try:
        report = ProviderCallback.model_validate(json.loads(body))
    except (ValueError, ValidationError) as exc:
        raise InvalidCallback() from exc
    attempt = await repository.get_attempt(session, report.id)
    if attempt is None and report.provider_message_id:
        attempt = await repository.attempt_by_provider_id(session, report.provider_message_id)
    if attempt is None or attempt.status == "queued":  # claimed, its send not recorded yet
        await _not_recorded(session, report.id)
        return None
    return await _react(session, attempt.id, report.status, report.reason)


async def _not_recorded(session: AsyncSession, attempt_id: str) -> None:
    """A receipt can overtake the attempt it reports on: the provider answers, calls back at
    once, and the attempt's outcome commits only after the answer (later still on a busy
    machine; until then the attempt is only claimed, `queued`). For a
    delivery we know, the provider is asked to call again (503, retried by providers); a
    report on nothing we sent is ignored."""
    delivery_id = attempt_id.rpartition(":")[0]
    if delivery_id and await repository.get_delivery(session, delivery_id) is not None:
        raise AttemptNotRecorded()
    log.info("callback for an unknown attempt ignored", extra={"attempt_id": attempt_id})
