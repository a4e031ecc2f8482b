"""A chain's enrollments for marketers: a page at a time with counts, from the orchestrator."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from gateway.auth import scoped
from gateway.keys import Caller
from gateway.marketer.enrollments import EnrollmentPage
from gateway.routes.problems import page_query, problems
from gateway.upstreams import Orchestrator, forward

router = APIRouter(prefix="/v1", tags=["marketing"])
Marketer = Annotated[Caller, Depends(scoped("marketer"))]


@router.get(
    "/chains/{chain_id}/enrollments",
    response_model=EnrollmentPage,
    summary="A chain's enrollments newest first, with counts by status, version, exit reason "
    "and step",
    responses=problems(
        {400: "invalid_cursor", 404: "chain_not_found", 422: "`limit` outside 1..200, bad `step`"}
    ),
)
async def list_enrollments(
    chain_id: str,
    _key: Marketer,
    client: Orchestrator,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous page")
    ] = None,
    status: Literal["active", "exited"] | None = None,
    step: Annotated[
        str | None,
        Query(
            pattern=r"^[a-z0-9_]{1,50}$",
            description="Only those at this step now, or that left the chain there",
        ),
    ] = None,
) -> Response:
    params = page_query(limit, cursor, status=status, step=step)
    return await forward(client, "GET", f"/chains/{chain_id}/enrollments?{params}")
