"""Per-step analytics of a chain for marketers, forwarded to the orchestrator."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Response

from gateway.auth import scoped
from gateway.keys import Caller
from gateway.marketer.analytics import StepReport
from gateway.upstreams import Orchestrator, forward

router = APIRouter(prefix="/v1", tags=["marketing"])
Marketer = Annotated[Caller, Depends(scoped("marketer"))]


@router.get(
    "/analytics/chains/{chain_id}/steps",
    response_model=StepReport,
    summary="A chain's funnel per version and step, and its daily series (404 `chain_not_found`)",
)
async def step_report(
    chain_id: str,
    _key: Marketer,
    client: Orchestrator,
    days: Annotated[
        int, Query(ge=1, le=366, description="days of the series, today included")
    ] = 30,
) -> Response:
    path = f"/analytics/chains/{quote(chain_id, safe='')}/steps?days={days}"
    return await forward(client, "GET", path)
