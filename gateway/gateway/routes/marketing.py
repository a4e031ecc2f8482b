"""Chains, campaigns and analytics for marketers, forwarded to the orchestrator.

Bodies are typed by the gateway's own public schemas (`gateway.marketer`), checked here for
shape and again by the orchestrator, which owns the rules across fields and answers with precise
problem+json errors (`chain_invalid` naming each field, `unknown_segment`, …).
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Response

from gateway.auth import scoped
from gateway.keys import Caller
from gateway.marketer.definition import ChainDefinition
from gateway.marketer.dry_run import DryRunIn, DryRunOut
from gateway.marketer.schemas import (
    CampaignAction,
    CampaignCreate,
    CampaignOut,
    Cancelled,
    ChainOut,
    ControlGroupIn,
    EnrollmentCreate,
    EnrollmentOut,
    TemplateCopy,
    Validated,
    VersionOut,
)
from gateway.routes.problems import LIMIT_422, PAGED, page_query, problems
from gateway.upstreams import Orchestrator, forward
from kit.contracts.analytics import CampaignReport
from kit.paging import DEFAULT_LIMIT, Cursor, Limit, Page

router = APIRouter(prefix="/v1", tags=["marketing"])
Marketer = Annotated[Caller, Depends(scoped("marketer"))]
ChainAction = Literal["pause", "resume", "archive"]
# Versions are 32-bit at the orchestrator: a larger number is invalid input, not a lookup.
VersionNumber = Annotated[int, Path(ge=1, le=2**31 - 1)]
Definition = Annotated[ChainDefinition, Body()]


@router.get(
    "/chains",
    response_model=Page[ChainOut],
    summary="Chains by id, a page at a time",
    responses=PAGED,
)
async def list_chains(
    _key: Marketer, client: Orchestrator, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response:
    return await forward(client, "GET", f"/chains?{page_query(limit, cursor)}")


@router.get(
    "/chains/templates", response_model=list[ChainDefinition], summary="The built-in chains"
)
async def templates(_key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "GET", "/chains/templates")


@router.post(
    "/chains/templates/{template_id}/copy",
    status_code=201,
    response_model=ChainOut,
    summary="Copy a built-in chain as a draft under a new id",
)
async def copy_template(
    template_id: str, body: TemplateCopy, _key: Marketer, client: Orchestrator
) -> Response:
    return await forward(client, "POST", f"/chains/templates/{template_id}/copy", body)


@router.post(
    "/chains/validate", response_model=Validated, summary="Check a chain definition, save nothing"
)
async def validate(body: Definition, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "POST", "/chains/validate", body)


@router.post("/chains", status_code=201, response_model=ChainOut, summary="Create a draft chain")
async def create_chain(body: Definition, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "POST", "/chains", body)


@router.get("/chains/{chain_id}", response_model=ChainOut, summary="A chain and its draft")
async def get_chain(chain_id: str, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "GET", f"/chains/{chain_id}")


@router.put("/chains/{chain_id}", response_model=ChainOut, summary="Edit a chain's draft")
async def edit_chain(
    chain_id: str, body: Definition, _key: Marketer, client: Orchestrator
) -> Response:
    return await forward(client, "PUT", f"/chains/{chain_id}", body)


@router.get(
    "/chains/{chain_id}/versions",
    response_model=Page[VersionOut],
    summary="A chain's published versions, oldest first, a page at a time",
    responses=problems({400: "`invalid_cursor`", 404: "`chain_not_found`", 422: LIMIT_422}),
)
async def versions(
    chain_id: str,
    _key: Marketer,
    client: Orchestrator,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    path = f"/chains/{chain_id}/versions?{page_query(limit, cursor)}"
    return await forward(client, "GET", path)


@router.get(
    "/chains/{chain_id}/versions/{number}",
    response_model=VersionOut,
    summary="One published version",
)
async def version(
    chain_id: str, number: VersionNumber, _key: Marketer, client: Orchestrator
) -> Response:
    return await forward(client, "GET", f"/chains/{chain_id}/versions/{number}")


@router.post(
    "/chains/{chain_id}/enrollments",
    status_code=201,
    response_model=EnrollmentOut,
    summary="Enroll a customer now (409 `enrollment_refused` when re-entry says not yet)",
)
async def enroll(
    chain_id: str, body: EnrollmentCreate, _key: Marketer, client: Orchestrator
) -> Response:
    return await forward(client, "POST", f"/chains/{chain_id}/enrollments", body)


@router.get(
    "/chains/{chain_id}/enrollments/{customer_id}",
    response_model=EnrollmentOut,
    summary="A customer's enrollment",
)
async def enrollment(
    chain_id: str, customer_id: str, _key: Marketer, client: Orchestrator
) -> Response:
    return await forward(client, "GET", f"/chains/{chain_id}/enrollments/{customer_id}")


@router.post(
    "/chains/{chain_id}/enrollments/{customer_id}/cancel",
    status_code=202,
    response_model=Cancelled,
    summary="End an enrollment",
)
async def cancel(chain_id: str, customer_id: str, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "POST", f"/chains/{chain_id}/enrollments/{customer_id}/cancel")


@router.post(
    "/chains/{chain_id}/dry-run",
    response_model=DryRunOut,
    summary="Dry-run the chain for one customer: each step and when, each message's channel "
    "and policy decision, each grant (nothing sent, granted or counted)",
    responses=problems(
        {404: "chain_not_found, chain_version_not_found", 422: "chain_invalid, id_mismatch"}
    ),
)
async def dry_run(chain_id: str, body: DryRunIn, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "POST", f"/chains/{chain_id}/dry-run", body)


@router.post(
    "/chains/{chain_id}/publish",
    response_model=VersionOut,
    summary="Publish the draft as a new version (the same draft again: the same version)",
)
async def publish(chain_id: str, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "POST", f"/chains/{chain_id}/publish")


@router.post(
    "/chains/{chain_id}/{action}", response_model=ChainOut, summary="pause, resume or archive"
)
async def chain_action(
    chain_id: str, action: ChainAction, _key: Marketer, client: Orchestrator
) -> Response:
    return await forward(client, "POST", f"/chains/{chain_id}/{action}")


@router.get(
    "/campaigns",
    response_model=Page[CampaignOut],
    summary="Campaigns newest first, a page at a time (progress as last recorded)",
    responses=PAGED,
)
async def list_campaigns(
    _key: Marketer, client: Orchestrator, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response:
    return await forward(client, "GET", f"/campaigns?{page_query(limit, cursor)}")


@router.post(
    "/campaigns",
    status_code=201,
    response_model=CampaignOut,
    summary="Create a campaign over a segment (422 `unknown_segment` when segments has none)",
)
async def create_campaign(body: CampaignCreate, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "POST", "/campaigns", body)


@router.get(
    "/campaigns/{campaign_id}", response_model=CampaignOut, summary="A campaign and its progress"
)
async def get_campaign(campaign_id: str, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "GET", f"/campaigns/{campaign_id}")


@router.post(
    "/campaigns/{campaign_id}/{action}",
    response_model=CampaignOut,
    summary="start (or re-run), pause, resume (409 `campaign_state_conflict` when it cannot)",
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


@router.get(
    "/analytics/campaigns/{campaign_id}",
    response_model=CampaignReport,
    summary="A campaign's figures against its holdout (404 `campaign_not_found`)",
)
async def campaign_analytics(campaign_id: str, _key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "GET", f"/analytics/campaigns/{campaign_id}")


@router.get("/analytics/programme", summary="The programme against the global control group")
async def programme_analytics(
    _key: Marketer, client: Orchestrator, months: Annotated[int, Query(ge=1, le=36)] = 12
) -> Response:
    return await forward(client, "GET", f"/analytics/programme?months={months}")


@router.get("/control-group", summary="The global control group's share and its changes")
async def control_group(_key: Marketer, client: Orchestrator) -> Response:
    return await forward(client, "GET", "/control-group")


@router.put("/control-group", summary="Change the global control group's share from now on")
async def change_control_group(
    body: ControlGroupIn, _key: Marketer, client: Orchestrator
) -> Response:
    return await forward(client, "PUT", "/control-group", body)
