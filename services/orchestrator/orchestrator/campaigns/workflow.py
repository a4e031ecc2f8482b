"""CampaignWorkflow: walks a segment page by page at a bounded rate, never one workflow per member.

Each member's grant and message carry keys from the campaign and the member, so a re-run (or a
retried batch) grants and sends nothing twice. Pause and resume are signals; a long campaign
continues as new every few pages with its cursor and progress.
"""

from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from orchestrator.campaigns.messages import (
        Batch,
        CampaignInput,
        CampaignStatus,
        Page,
        PageRequest,
        Progress,
    )

R = TypeVar("R")
PAGES_PER_RUN = 50
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


@workflow.defn(name="CampaignWorkflow")
class CampaignWorkflow:
    @workflow.init
    def __init__(self, campaign: CampaignInput) -> None:
        self.paused = False
        self.progress = campaign.progress

    @workflow.signal(name="pause")
    def pause(self) -> None:
        self.paused = True

    @workflow.signal(name="resume")
    def resume(self) -> None:
        self.paused = False

    @workflow.query(name="status")
    def status(self) -> CampaignStatus:
        return CampaignStatus(state="paused" if self.paused else "running", progress=self.progress)

    @workflow.run
    async def run(self, campaign: CampaignInput) -> Progress:
        cursor = campaign.cursor
        for _ in range(PAGES_PER_RUN):
            await workflow.wait_condition(lambda: not self.paused)
            request = PageRequest(
                segment=campaign.segment, cursor=cursor, limit=campaign.batch_size
            )
            page = await _activity("campaign_page", request, Page)
            await self._apply(campaign, page.members)
            cursor = page.next_cursor
            if cursor is None:
                await _activity("campaign_finished", campaign.campaign_id, type(None))
                return self.progress
        workflow.continue_as_new(
            campaign.model_copy(update={"cursor": cursor, "progress": self.progress})
        )

    async def _apply(self, campaign: CampaignInput, members: list[str]) -> None:
        if not members:
            return
        started = workflow.now()
        batch = Batch(
            campaign_id=campaign.campaign_id,
            members=members,
            grant=campaign.grant,
            message=campaign.message,
            holdout_share=campaign.holdout_share,
        )
        self.progress = self.progress + await _activity("campaign_batch", batch, Progress)
        # Pacing: a batch of n members takes at least n / rate seconds.
        floor = timedelta(seconds=len(members) / campaign.rate_per_second)
        if (spent := workflow.now() - started) < floor:
            await workflow.sleep(floor - spent)


async def _activity(name: str, arg: object, result_type: type[R]) -> R:
    result: R = await workflow.execute_activity(
        name,
        arg,
        result_type=result_type,
        start_to_close_timeout=timedelta(minutes=5),
        retry_policy=RETRY,
    )
    return result
