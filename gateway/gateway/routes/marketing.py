"""Chains, campaigns and analytics for marketers, forwarded to the orchestrator.

Bodies pass through as JSON: the orchestrator validates them and answers with precise
problem+json errors (its OpenAPI at :8004/docs documents every shape).
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Response

from gateway.auth import scoped
from gateway.keys import Caller
from gateway.upstreams import Orchestrator, forward

router = APIRouter(prefix="/v1", tags=["marketing"])
Marketer = Annotated[Caller, Depends(scoped("marketer"))]
JsonBody = Annotated[dict[str, Any], Body(description="see the orchestrator's schema")]
ChainAction = Literal["publish", "pause", "resume", "archive"]
CampaignAction = Literal["start", "pause", "resume"]


@router.get("/chains", summary="List chains")
async def list_chains(_key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "GET", "/chains")


@router.get("/chains/templates", summary="The built-in chains, to copy")
async def templates(_key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "GET", "/chains/templates")


@router.post("/chains/templates/{template_id}/copy", summary="Copy a built-in chain as a draft")
async def copy_template(
    template_id: str, body: JsonBody, _key: Marketer, client: Orchestrator
) -> Response:
    return await forward(client, "POST", f"/chains/templates/{template_id}/copy", body)


@router.post("/chains/validate", summary="Check a chain definition without saving it")
async def validate(body: JsonBody, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "POST", "/chains/validate", body)


@router.post("/chains", status_code=201, summary="Create a draft chain")
async def create_chain(body: JsonBody, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "POST", "/chains", body)


@router.get("/chains/{chain_id}", summary="A chain and its draft")
async def get_chain(chain_id: str, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "GET", f"/chains/{chain_id}")


@router.put("/chains/{chain_id}", summary="Edit a chain's draft")
async def edit_chain(
    chain_id: str, body: JsonBody, _key: Marketer, client: Orchestrator
) -> Response:
    return await forward(client, "PUT", f"/chains/{chain_id}", body)


@router.get("/chains/{chain_id}/versions", summary="Published versions")
async def versions(chain_id: str, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "GET", f"/chains/{chain_id}/versions")


@router.get("/chains/{chain_id}/versions/{number}", summary="One published version")
async def version(chain_id: str, number: int, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "GET", f"/chains/{chain_id}/versions/{number}")


@router.post(
    "/chains/{chain_id}/enrollments",
    status_code=201,
    summary="Enroll a customer now (the chain sends its messages)",
)
async def enroll(chain_id: str, body: JsonBody, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "POST", f"/chains/{chain_id}/enrollments", body)


@router.get("/chains/{chain_id}/enrollments/{customer_id}", summary="A customer's enrollment")
async def enrollment(
    chain_id: str, customer_id: str, _key: Marketer, client: Orchestrator
) -> Response:
    return await forward(client, "GET", f"/chains/{chain_id}/enrollments/{customer_id}")


@router.post("/chains/{chain_id}/enrollments/{customer_id}/cancel", summary="End an enrollment")
async def cancel(chain_id: str, customer_id: str, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "POST", f"/chains/{chain_id}/enrollments/{customer_id}/cancel")


@router.post("/chains/{chain_id}/{action}", summary="publish, pause, resume or archive")
async def chain_action(
    chain_id: str, action: ChainAction, _key: Marketer, client: Orchestrator
) -> Response:
    return await forward(client, "POST", f"/chains/{chain_id}/{action}")


@router.get("/campaigns", summary="List campaigns")
async def list_campaigns(_key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "GET", "/campaigns")


@router.post("/campaigns", status_code=201, summary="Create a campaign over a segment")
async def create_campaign(body: JsonBody, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "POST", "/campaigns", body)


@router.get("/campaigns/{campaign_id}", summary="A campaign and its progress")
async def get_campaign(campaign_id: str, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "GET", f"/campaigns/{campaign_id}")


@router.post(
    "/campaigns/{campaign_id}/{action}",
    summary="start (or re-run), pause, resume",
    # Starting sends the campaign's messages; the action is a path parameter, which the rule
    # on the path template cannot see (gateway.ratelimit).
    openapi_extra={"x-costly": True},
)
async def campaign_action(
    campaign_id: str, action: CampaignAction, _key: Marketer, client: Orchestrator
) -> Response:
    return await forward(client, "POST", f"/campaigns/{campaign_id}/{action}")


@router.get("/analytics/chains/{chain_id}", summary="A chain's figures per version and step")
async def chain_analytics(chain_id: str, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "GET", f"/analytics/chains/{chain_id}")


@router.get("/analytics/programme", summary="The programme against the global control group")
async def programme_analytics(
    _key: Marketer, client: Orchestrator, months: Annotated[int, Query(ge=1, le=36)] = 12
) -> Response:
    return await forward(client, "GET", f"/analytics/programme?months={months}")


@router.get("/control-group", summary="The global control group's share and its changes")
async def control_group(_key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "GET", "/control-group")


@router.put("/control-group", summary="Change the global control group's share from now on")
async def change_control_group(body: JsonBody, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "PUT", "/control-group", body)
