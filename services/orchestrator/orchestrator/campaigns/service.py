"""Creating, starting, pausing and re-running campaigns."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from kit.clock import utcnow
from orchestrator import repository
from orchestrator.campaigns.messages import (
    CampaignGrant,
    CampaignInput,
    CampaignMessage,
    CampaignStatus,
)
from orchestrator.errors import CampaignNotFound, CampaignStateConflict
from orchestrator.models import Campaign
from orchestrator.schemas import CampaignCreate

WORKFLOW = "CampaignWorkflow"


def campaign_workflow_id(campaign_id: str) -> str:
    return f"campaign/{campaign_id}"


async def create(session: AsyncSession, body: CampaignCreate, batch_size: int) -> Campaign:
    now = utcnow()
    campaign = Campaign(
        id=str(uuid.uuid4()),
        name=body.name,
        segment=body.segment,
        grant=body.grant.model_dump(mode="json") if body.grant else None,
        message=body.message.model_dump(mode="json") if body.message else None,
        rate_per_second=body.rate_per_second,
        batch_size=body.batch_size or batch_size,
        holdout_share=body.holdout_share,
        attribution_window_days=body.attribution_window_days,
        status="draft",
        runs=0,
        processed=0,
        granted=0,
        sent=0,
        failed=0,
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    await session.flush()
    return campaign


async def get(session: AsyncSession, campaign_id: str) -> Campaign:
    found = await repository.campaign(session, campaign_id)
    if found is None:
        raise CampaignNotFound(f"no campaign {campaign_id!r}")
    return found


async def start(
    session: AsyncSession, temporal: Client, task_queue: str, campaign_id: str
) -> Campaign:
    """Starts it, or re-runs a finished one: the same keys mean nothing is granted or sent twice."""
    campaign = await get(session, campaign_id)
    if campaign.status in ("running", "paused"):
        raise CampaignStateConflict(f"the campaign is {campaign.status}")
    try:
        await _start_workflow(temporal, task_queue, campaign)
    except WorkflowAlreadyStartedError as exc:
        raise CampaignStateConflict("the previous run is still finishing") from exc
    campaign.status, campaign.runs, campaign.updated_at = "running", campaign.runs + 1, utcnow()
    campaign.processed = campaign.granted = campaign.sent = campaign.failed = 0
    return campaign


async def _start_workflow(temporal: Client, task_queue: str, campaign: Campaign) -> None:
    await temporal.start_workflow(
        WORKFLOW,
        CampaignInput(
            campaign_id=campaign.id,
            segment=campaign.segment,
            grant=CampaignGrant.model_validate(campaign.grant) if campaign.grant else None,
            message=CampaignMessage.model_validate(campaign.message) if campaign.message else None,
            rate_per_second=campaign.rate_per_second,
            batch_size=campaign.batch_size,
            holdout_share=campaign.holdout_share,
        ),
        id=campaign_workflow_id(campaign.id),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )


async def pause_or_resume(
    session: AsyncSession, temporal: Client, campaign_id: str, action: str
) -> Campaign:
    campaign = await get(session, campaign_id)
    expected = "running" if action == "pause" else "paused"
    if campaign.status != expected:
        raise CampaignStateConflict(f"cannot {action} a campaign that is {campaign.status}")
    try:
        await temporal.get_workflow_handle(campaign_workflow_id(campaign_id)).signal(action)
    except RPCError as exc:
        # The run ended (completed, failed, terminated) while the row still says it runs.
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        ended = await ended_status(temporal, campaign_id)
        raise CampaignStateConflict(f"cannot {action}: the campaign's run has {ended}") from exc
    campaign.status = "paused" if action == "pause" else "running"
    campaign.updated_at = utcnow()
    return campaign


async def ended_status(temporal: Client, campaign_id: str) -> str:
    """`completed` or `failed`: how the campaign's last run ended, as a campaign status."""
    try:
        described = await temporal.get_workflow_handle(campaign_workflow_id(campaign_id)).describe()
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        return "failed"
    return "completed" if described.status == WorkflowExecutionStatus.COMPLETED else "failed"


async def reconcile(temporal: Client, campaign: Campaign, live: CampaignStatus | None) -> None:
    """A campaign stored as running or paused whose run has ended takes the run's end status."""
    if live is None and campaign.status in ("running", "paused"):
        campaign.status = await ended_status(temporal, campaign.id)
        campaign.updated_at = utcnow()


async def live_status(temporal: Client, campaign_id: str) -> CampaignStatus | None:
    handle = temporal.get_workflow_handle(campaign_workflow_id(campaign_id))
    try:
        described = await handle.describe()
        if described.status != WorkflowExecutionStatus.RUNNING:
            return None
        status: CampaignStatus = await handle.query("status", result_type=CampaignStatus)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    return status
