from fastapi import APIRouter

from kit.paging import DEFAULT_LIMIT, PAGED, Cursor, Limit, Page
from kit.web import SessionDep
from orchestrator import audiences, lists
from orchestrator.campaigns import outcomes, service
from orchestrator.campaigns.messages import Progress
from orchestrator.models import Campaign
from orchestrator.routes.deps import NotifierDep, RuntimeDep, SegmentsDep, SettingsDep
from orchestrator.schemas import CampaignCreate, CampaignOut, CampaignProgress, MessageOutcomes

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


def out(
    campaign: Campaign, live: Progress | None = None, messages: MessageOutcomes | None = None
) -> CampaignOut:
    progress = live or Progress(
        processed=campaign.processed,
        granted=campaign.granted,
        sent=campaign.sent,
        failed=campaign.failed,
    )
    shown = CampaignProgress(
        processed=progress.processed,
        granted=progress.granted,
        handed_over=progress.sent,
        refused=progress.failed,
    )
    skip = {"progress", "messages"}
    data = {c: getattr(campaign, c) for c in CampaignOut.model_fields if c not in skip}
    return CampaignOut.model_validate({**data, "progress": shown, "messages": messages})


@router.post(
    "",
    status_code=201,
    response_model=CampaignOut,
    summary="Create a campaign over an existing segment (422 `unknown_segment` otherwise)",
)
async def create(
    body: CampaignCreate, session: SessionDep, settings: SettingsDep, segments: SegmentsDep
) -> CampaignOut:
    known = body.model_copy(update={"segment": await audiences.resolve(segments, body.segment)})
    return out(await service.create(session, known, settings.campaign_batch_size))


@router.get(
    "",
    response_model=Page[CampaignOut],
    summary="Campaigns newest first, a page at a time (progress as last recorded)",
    responses=PAGED,
)
async def list_campaigns(
    session: SessionDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[CampaignOut]:
    rows, following = await lists.campaigns(session, limit, cursor)
    return Page(items=[out(c) for c in rows], next_cursor=following)


@router.get("/{campaign_id}", response_model=CampaignOut, summary="A campaign and its progress")
async def get(
    campaign_id: str, session: SessionDep, runtime: RuntimeDep, notifier: NotifierDep
) -> CampaignOut:
    campaign = await service.get(session, campaign_id)
    live = await service.live_status(runtime.temporal, campaign_id)
    await service.reconcile(runtime.temporal, campaign, live)
    messages = await outcomes.of_campaign(notifier, campaign_id)
    return out(campaign, live.progress if live else None, messages)


@router.post("/{campaign_id}/start", response_model=CampaignOut, summary="Start, or re-run")
async def start(campaign_id: str, session: SessionDep, runtime: RuntimeDep) -> CampaignOut:
    return out(await service.start(session, runtime.temporal, runtime.task_queue, campaign_id))


@router.post("/{campaign_id}/pause", response_model=CampaignOut)
async def pause(campaign_id: str, session: SessionDep, runtime: RuntimeDep) -> CampaignOut:
    return out(await service.pause_or_resume(session, runtime.temporal, campaign_id, "pause"))


@router.post("/{campaign_id}/resume", response_model=CampaignOut)
async def resume(campaign_id: str, session: SessionDep, runtime: RuntimeDep) -> CampaignOut:
    return out(await service.pause_or_resume(session, runtime.temporal, campaign_id, "resume"))
