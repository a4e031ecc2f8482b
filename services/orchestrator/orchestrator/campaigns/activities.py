"""What a campaign batch does for each member, with keys from the campaign and the member."""

import asyncio
from collections.abc import Coroutine
from typing import Any, Protocol

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from kit.clock import utcnow
from kit.db import SessionFactory, unit_of_work
from orchestrator import repository
from orchestrator.campaigns.messages import Batch, Page, PageRequest, Progress
from orchestrator.workflows.messages import GrantRequest, GrantResult, SendMessage, SendResult


class SideEffects(Protocol):
    """The chain activities a campaign reuses: keyed grants and sends."""

    async def grant_bonus(self, grant: GrantRequest) -> GrantResult: ...

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
        limit = asyncio.Semaphore(self.concurrency)

        async def one(member: str) -> Progress:
            async with limit:
                return await self._member(batch, member)

        results = await asyncio.gather(*(one(member) for member in batch.members))
        progress = sum(results, Progress())
        async with unit_of_work(self.sessions) as session:
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

    async def _member(self, batch: Batch, member: str) -> Progress:
        granted = sent = failed = 0
        if batch.grant:
            ok = await self._grant(batch, member)
            granted, failed = int(ok), int(not ok)
        if batch.message and not failed:
            ok = await self._send(batch, member)
            sent, failed = int(ok), int(not ok)
        return Progress(processed=1, granted=granted, sent=sent, failed=failed)

    async def _grant(self, batch: Batch, member: str) -> bool:
        assert batch.grant is not None
        grant = GrantRequest(
            idempotency_key=f"campaign/{batch.campaign_id}/grant/{member}",
            member_id=member,
            amount=batch.grant.amount,
            lifetime_days=batch.grant.lifetime_days,
            source="campaign",
            reference=f"campaign:{batch.campaign_id}",
            restrictions=batch.grant.restrictions,
        )
        return await _final_answer(self.chains.grant_bonus(grant))

    async def _send(self, batch: Batch, member: str) -> bool:
        assert batch.message is not None
        message = batch.message
        cascade = len(message.channels) > 1
        send = SendMessage(
            idempotency_key=f"campaign/{batch.campaign_id}/send/{member}",
            customer_id=member,
            template=message.template,
            source=f"campaign:{batch.campaign_id}",
            channel=message.channels[0],
            channels=list(message.channels) if cascade else None,
            reaction_window_seconds=message.reaction_window_seconds,
            sms_only_if_no_other_channel=message.sms_only_if_no_other_channel,
            variables=dict(message.variables),
        )
        return await _final_answer(self.chains.send_message(send))


async def _final_answer(call: Coroutine[Any, Any, object]) -> bool:
    """A member the service refuses for good is counted as failed; an outage retries the batch."""
    try:
        await call
    except ApplicationError as exc:
        if not exc.non_retryable:
            raise
        return False
    return True
