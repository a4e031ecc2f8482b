"""What a campaign batch does: one bulk grant for the members not granted yet, then a message
to each member, keyed by campaign and member."""

import asyncio
import hashlib
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from kit.clock import utcnow
from kit.db import SessionFactory, unit_of_work
from orchestrator import analytics_repository as store
from orchestrator import control, repository
from orchestrator.campaigns.messages import (
    Batch,
    BulkGrant,
    BulkGranted,
    Page,
    PageRequest,
    Progress,
)
from orchestrator.campaigns.outcomes import campaign_source
from orchestrator.definitions.facts import in_holdout
from orchestrator.workflows.messages import SendMessage, SendResult


@dataclass(frozen=True)
class Granted:
    member_ids: list[str] = field(default_factory=list)
    grant_id: str = ""
    granted: int = 0
    skipped: int = 0


class SideEffects(Protocol):
    """What a campaign asks of loyalty and the notifier, through the chain activities' clients."""

    async def bulk_grant(self, grant: BulkGrant) -> BulkGranted: ...

    async def send_message(self, message: SendMessage) -> SendResult: ...


class CampaignActivities:
    def __init__(
        self,
        chains: SideEffects,
        segments: httpx.AsyncClient,
        sessions: SessionFactory,
        concurrency: int,
    ) -> None:
        self.chains = chains
        self.segments = segments
        self.sessions = sessions
        self.concurrency = concurrency

    @activity.defn(name="campaign_page")
    async def campaign_page(self, request: PageRequest) -> Page:
        params = {
            "limit": str(request.limit),
            **({"cursor": request.cursor} if request.cursor else {}),
        }
        response = await self.segments.get(f"/segments/{request.segment}/members", params=params)
        if response.status_code == 404:
            raise ApplicationError(f"segment {request.segment} not found", non_retryable=True)
        response.raise_for_status()
        return Page.model_validate(response.json())

    @activity.defn(name="campaign_batch")
    async def campaign_batch(self, batch: Batch) -> Progress:
        async with unit_of_work(self.sessions) as session:
            members = await control.marketable(session, batch.members, utcnow())
            sides = held_out(batch.campaign_id, members, batch.holdout_share)
            # Recorded before anything is sent, so a purchase right after the message counts;
            # a retried batch or a re-run keeps the first moment each member was reached.
            await store.add_campaign_members(session, batch.campaign_id, sides, utcnow())
        treated = [m for m in members if not sides[m]]
        # The control group and the campaign's holdout get nothing.
        batch = batch.model_copy(update={"members": treated})
        grant = await self._grant(batch) if batch.grant else None
        granted, skipped = (grant.granted, grant.skipped) if grant else (0, 0)
        limit = asyncio.Semaphore(self.concurrency)

        async def one(member: str) -> bool:
            async with limit:
                return await self._send(batch, member)

        sent = await asyncio.gather(*(one(m) for m in batch.members)) if batch.message else []
        progress = Progress(
            processed=len(members),
            granted=granted,
            sent=sum(sent),
            failed=skipped + len(sent) - sum(sent),
        )
        async with unit_of_work(self.sessions) as session:
            if grant and grant.member_ids:
                # Recorded with the progress, once the batch is done: a batch retried before
                # asks loyalty again with the same key and members, and counts the same.
                await repository.record_granted(
                    session, batch.campaign_id, grant.member_ids, grant.grant_id, utcnow()
                )
            await repository.add_campaign_progress(
                session,
                batch.campaign_id,
                progress.processed,
                progress.granted,
                progress.sent,
                progress.failed,
            )
        return progress

    @activity.defn(name="campaign_finished")
    async def campaign_finished(self, campaign_id: str) -> None:
        async with unit_of_work(self.sessions) as session:
            found = await repository.campaign(session, campaign_id)
            if found is not None:
                found.status, found.updated_at = "completed", utcnow()

    async def _grant(self, batch: Batch) -> "Granted":
        """One `/grants/bulk` for the batch's members this campaign has not granted yet.

        The key is the campaign's and the exact member set's: a retried batch asks loyalty
        again with the same key and body (loyalty answers as the first time), and a re-run
        over a segment that changed skips everyone granted before."""
        assert batch.grant is not None
        async with unit_of_work(self.sessions) as session:
            fresh = await repository.not_yet_granted(session, batch.campaign_id, batch.members)
        if not fresh:
            return Granted()
        digest = hashlib.sha256("\n".join(fresh).encode()).hexdigest()[:32]
        request = BulkGrant(
            idempotency_key=f"campaign/{batch.campaign_id}/grant/{digest}",
            member_ids=fresh,
            amount=batch.grant.amount,
            lifetime_days=batch.grant.lifetime_days,
            reference=f"campaign:{batch.campaign_id}",
            restrictions=batch.grant.restrictions,
        )
        answer = await self.chains.bulk_grant(request)
        return Granted(fresh, answer.grant_id, answer.granted, answer.skipped)

    async def _send(self, batch: Batch, member: str) -> bool:
        assert batch.message is not None
        message = batch.message
        cascade = len(message.channels) > 1
        send = SendMessage(
            idempotency_key=f"campaign/{batch.campaign_id}/send/{member}",
            customer_id=member,
            template=message.template,
            source=campaign_source(batch.campaign_id),
            channel=message.channels[0],
            channels=list(message.channels) if cascade else None,
            reaction_window_seconds=message.reaction_window_seconds,
            sms_only_if_no_other_channel=message.sms_only_if_no_other_channel,
            variables=dict(message.variables),
        )
        return await _final_answer(self.chains.send_message(send))


def held_out(campaign_id: str, members: list[str], share: float) -> dict[str, bool]:
    """Each member's side, drawn by the same stable hash as a chain's holdout (keyed by the
    campaign), so a re-run or a retried batch puts everyone where he was."""
    return {member: in_holdout(campaign_id, member, share) for member in members}


async def _final_answer(call: Coroutine[Any, Any, object]) -> bool:
    """A member the service refuses for good is counted as failed; an outage retries the batch."""
    try:
        await call
    except ApplicationError as exc:
        if not exc.non_retryable:
            raise
        return False
    return True
