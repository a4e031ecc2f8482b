"""Campaigns on the time-skipping server: paced batches, pause and resume, an idempotent re-run.

Segments' member pages come from a recording activity (segments' `GET /segments/{id}/members`
is not in this tree yet); grants and sends go through the real batch activity, keyed per
campaign and member, into recording loyalty and notifier calls; progress lands in PostgreSQL.
"""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from kit.db import SessionFactory, create_engine, session_factory, unit_of_work
from kit.migrations import upgrade_async
from orchestrator import repository
from orchestrator.campaigns.activities import CampaignActivities
from orchestrator.campaigns.messages import (
    CampaignGrant,
    CampaignInput,
    CampaignMessage,
    CampaignStatus,
    Progress,
)
from orchestrator.campaigns.service import campaign_workflow_id, create
from orchestrator.campaigns.workflow import CampaignWorkflow
from orchestrator.schemas import CampaignCreate
from tests.orchestrator.recording import SEGMENT_MEMBERS, Services, segment_pages


@dataclass
class Campaigns:
    env: WorkflowEnvironment
    queue: str
    services: Services
    sessions: SessionFactory
    batch: CampaignActivities

    def worker(self, queue: str) -> Worker:
        return Worker(
            self.env.client,
            task_queue=queue,
            workflows=[CampaignWorkflow],
            activities=[segment_pages, self.batch.campaign_batch, self.batch.campaign_finished],
        )

    async def new(self) -> CampaignInput:
        body = CampaignCreate(
            name="5 000 points for 3 days",
            segment="all_members",
            grant=CampaignGrant(amount=5000, lifetime_days=3),
            message=CampaignMessage(template="mass_bonus", channels=["push", "email"]),
            rate_per_second=50,
            batch_size=100,
        )
        async with unit_of_work(self.sessions) as session:
            campaign = await create(session, body, batch_size=100)
        return CampaignInput(
            campaign_id=campaign.id,
            segment=body.segment,
            grant=body.grant,
            message=body.message,
            rate_per_second=body.rate_per_second,
            batch_size=100,
        )

    async def start(
        self, campaign: CampaignInput, queue: str | None = None
    ) -> WorkflowHandle[CampaignWorkflow, Progress]:
        return await self.env.client.start_workflow(
            CampaignWorkflow.run,
            campaign,
            id=campaign_workflow_id(campaign.campaign_id),
            task_queue=queue or self.queue,
        )

    async def stored(self, campaign_id: str) -> tuple[str, int]:
        async with unit_of_work(self.sessions) as session:
            found = await repository.campaign(session, campaign_id)
            assert found is not None
            return found.status, found.processed


@pytest.fixture
async def campaigns(
    time_skipping: WorkflowEnvironment, postgres_url: str
) -> AsyncIterator[Campaigns]:
    await upgrade_async("orchestrator:migrations", postgres_url)
    engine = create_engine(postgres_url)
    services, queue = Services(), f"q-{uuid.uuid4()}"
    async with httpx.AsyncClient(base_url="http://127.0.0.1:9") as nowhere:
        batch = CampaignActivities(services, nowhere, session_factory(engine), concurrency=10)
        campaigns = Campaigns(time_skipping, queue, services, session_factory(engine), batch)
        async with campaigns.worker(queue):
            yield campaigns
    await engine.dispose()


async def test_every_member_gets_one_grant_and_one_message_at_a_bounded_rate(
    campaigns: Campaigns,
) -> None:
    campaign = await campaigns.new()
    started = await campaigns.env.get_current_time()
    progress = await (await campaigns.start(campaign)).result()
    elapsed = await campaigns.env.get_current_time() - started

    assert progress == Progress(processed=250, granted=250, sent=250, failed=0)
    granted = campaigns.services.granted_members()
    assert sorted(granted) == SEGMENT_MEMBERS and len(campaigns.services.deliveries) == 250
    bulks = list(campaigns.services.bulk_grants.values())
    assert [len(g.member_ids) for g in bulks] == [100, 100, 50]  # one call per batch
    assert {(g.amount, g.lifetime_days, g.source) for g in bulks} == {(5000, 3, "campaign")}
    first_message = next(iter(campaigns.services.deliveries.values()))
    assert first_message.channels == ["push", "email"]
    assert elapsed.total_seconds() >= 250 / 50 - 1  # paced: the last batch may end early
    assert await campaigns.stored(campaign.campaign_id) == ("completed", 250)


async def test_pause_holds_the_campaign_and_resume_finishes_it(campaigns: Campaigns) -> None:
    campaign, idle_queue = await campaigns.new(), f"q-{uuid.uuid4()}"
    handle = await campaigns.start(campaign, idle_queue)
    await handle.signal("pause")  # before any worker picked the campaign up
    async with campaigns.worker(idle_queue):
        paused = await handle.query("status", result_type=CampaignStatus)
        assert paused == CampaignStatus(state="paused", progress=Progress())
        assert campaigns.services.bulk_grants == {}
        await handle.signal("resume")
        assert (await handle.result()).processed == 250


async def test_a_re_run_grants_and_sends_nothing_twice(campaigns: Campaigns) -> None:
    campaign = await campaigns.new()
    await (await campaigns.start(campaign)).result()
    await (await campaigns.start(campaign)).result()
    assert len(campaigns.services.bulk_attempts) == 3  # the re-run found everyone granted
    assert sorted(campaigns.services.granted_members()) == SEGMENT_MEMBERS
    assert len(campaigns.services.deliveries) == 250


async def test_a_batch_retried_after_loyalty_answered_asks_with_the_same_key(
    campaigns: Campaigns,
) -> None:
    campaigns.services.fail_first_attempt = True
    campaign = await campaigns.new()
    progress = await (await campaigns.start(campaign)).result()
    attempts = campaigns.services.bulk_attempts
    assert len({a.idempotency_key for a in attempts}) == 3  # one per batch, retries included
    assert attempts[0] == attempts[1]  # the retry asked again with the same key and body
    assert sorted(campaigns.services.granted_members()) == SEGMENT_MEMBERS
    assert progress.granted == 250
