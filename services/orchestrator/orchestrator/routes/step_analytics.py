from typing import Annotated

from fastapi import APIRouter, Query

from kit.web import SessionDep
from orchestrator import chains, step_analytics
from orchestrator.step_analytics import StepReport

router = APIRouter(prefix="/analytics", tags=["analytics"])


@router.get(
    "/chains/{chain_id}/steps",
    response_model=StepReport,
    summary="Per version and step: reached, waiting, exits by reason, messages by status, "
    "points; and per day: enrollments, exits and conversions, treated and holdout",
)
async def step_report(
    chain_id: str, session: SessionDep, days: Annotated[int, Query(ge=1, le=366)] = 30
) -> StepReport:
    await chains.get(session, chain_id)
    return await step_analytics.report(session, chain_id, days)
