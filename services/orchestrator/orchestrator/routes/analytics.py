from typing import Any

from fastapi import APIRouter

from kit.web import SessionDep
from orchestrator import analytics, chains
from orchestrator.routes.deps import SettingsDep

router = APIRouter(prefix="/analytics", tags=["analytics"])


@router.get(
    "/chains/{chain_id}",
    summary="Per version and step: enrollments, exits, messages and cost, points, "
    "conversions, revenue, ROI, uplift over the holdout with a 95 % interval",
)
async def chain_report(chain_id: str, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    await chains.get(session, chain_id)
    return await analytics.report(session, chain_id, settings.point_value)
