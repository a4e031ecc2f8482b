from typing import Annotated

from fastapi import APIRouter, Query

from kit.web import SessionDep
from orchestrator import chains, step_analytics
from orchestrator.routes.deps import NotifierDep
from orchestrator.step_analytics import StepReport

router = APIRouter(prefix="/analytics", tags=["analytics"])


@router.get(
    "/chains/{chain_id}/steps",
    response_model=StepReport,
    summary="Per version and step: reached, waiting, exits by reason, messages by status, "
    "deferred and skipped messages by reason, points; and per day: enrollments, exits and "
    "conversions, treated and holdout",
    responses={503: {"description": "`notifier_unavailable`"}},
)
async def step_report(
    chain_id: str,
    session: SessionDep,
    notifier: NotifierDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> StepReport:
    await chains.get(session, chain_id)
    return await step_analytics.report(session, notifier, chain_id, days)
