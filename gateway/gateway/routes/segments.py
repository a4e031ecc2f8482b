"""Segments for marketers, forwarded to the segments service.

Rule bodies pass through as JSON: the segments service validates them and answers invalid rules
with 422 ``invalid_rule`` naming each problem's JSON path and reason.
"""

import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

import aiohttp
from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from gateway.auth import scoped
from gateway.keys import Caller
from gateway.marketer.segments import SegmentKind, SegmentOut
from gateway.routes.problems import PAGED, page_query, problems
from gateway.settings import GatewaySettings
from gateway.upstreams import Segments, UpstreamClient, UpstreamUnavailable, forward
from kit.paging import DEFAULT_LIMIT, Cursor, Limit, Page

router = APIRouter(prefix="/v1", tags=["segments"])
log = logging.getLogger(__name__)
Marketer = Annotated[Caller, Depends(scoped("marketer"))]
RuleBody = Annotated[
    dict[str, Any],
    Body(
        description="`{name, description?, definition}`; see docs/segments.md for the rules",
        examples=[
            {
                "name": "Cooling shoe buyers",
                "definition": {
                    "and": [
                        {"segment": "recency.cooling"},
                        {"bought_category": "shoes", "window": {"days": 90}},
                    ]
                },
            }
        ],
    ),
]
PreviewBody = Annotated[
    dict[str, Any], Body(description="`{definition, sample_size?}`: count and sample, unsaved")
]


@router.get(
    "/segments",
    response_model=Page[SegmentOut],
    summary="Segments (recency, RFM and rule) by kind, then age, a page at a time",
    responses=PAGED,
)
async def list_segments(
    _key: Marketer,
    client: Segments,
    kind: SegmentKind | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    return await forward(client, "GET", f"/segments?{page_query(limit, cursor, kind=kind)}")


@router.post("/segments", status_code=201, summary="Create a rule segment")
async def create_segment(body: RuleBody, _key: Marketer, client: Segments) -> Response:
    return await forward(client, "POST", "/segments", body)


@router.post("/segments/preview", summary="Count and sample a rule without saving it")
async def preview(body: PreviewBody, _key: Marketer, client: Segments) -> Response:
    return await forward(client, "POST", "/segments/preview", body)


@router.get("/segments/rfm/distribution", summary="Customers per named RFM segment")
async def rfm_distribution(_key: Marketer, client: Segments) -> Response:
    return await forward(client, "GET", "/segments/rfm/distribution")


@router.get("/segments/{segment_id}", summary="A segment with its member count")
async def get_segment(segment_id: str, _key: Marketer, client: Segments) -> Response:
    return await forward(client, "GET", f"/segments/{segment_id}")


@router.put("/segments/{segment_id}", summary="Replace a rule segment (a new version)")
async def update_segment(
    segment_id: str, body: RuleBody, _key: Marketer, client: Segments
) -> Response:
    return await forward(client, "PUT", f"/segments/{segment_id}", body)


@router.delete("/segments/{segment_id}", status_code=204, summary="Delete a rule segment")
async def delete_segment(segment_id: str, _key: Marketer, client: Segments) -> Response:
    return await forward(client, "DELETE", f"/segments/{segment_id}")


@router.get(
    "/segments/{segment_id}/members",
    summary="Members, a page at a time (400 `invalid_cursor`)",
    responses=problems({400: "invalid_cursor"}),
)
async def members(
    segment_id: str,
    _key: Marketer,
    client: Segments,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    path = f"/segments/{segment_id}/members?{page_query(limit, cursor)}"
    return await forward(client, "GET", path)


@router.get("/segments/{segment_id}/members/export", summary="Every member as streamed CSV")
async def export_members(
    segment_id: str, _key: Marketer, client: Segments, request: Request
) -> Response:
    settings: GatewaySettings = request.app.state.settings
    path = f"/segments/{segment_id}/members/export"
    return await forward_stream(client, path, settings.stream_idle_timeout_seconds)


@router.get("/customers/{customer_id}/segments", summary="The segments a customer is in now")
async def customer_segments(customer_id: str, _key: Marketer, client: Segments) -> Response:
    return await forward(client, "GET", f"/customers/{customer_id}/segments")


async def _relay(upstream: aiohttp.ClientResponse, path: str) -> AsyncIterator[bytes]:
    """The body as it arrives. A service that stops sending (idle timeout) or breaks off is
    not hidden: the error ends the answer without its last chunk, so the client sees a broken
    transfer, never a complete-looking 200."""
    try:
        async for chunk in upstream.content.iter_any():
            yield chunk
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("stream of %s broken: %s: %s", path, type(exc).__name__, exc)
        raise


async def forward_stream(client: UpstreamClient, path: str, idle_seconds: float) -> Response:
    """Like ``forward``, but passes a successful body on as it arrives."""
    try:
        upstream = await client.open_stream(path, idle_seconds)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise UpstreamUnavailable(type(exc).__name__) from exc
    media_type = upstream.headers.get("content-type", "application/octet-stream")
    if upstream.status != 200:
        content = await upstream.read()
        upstream.release()
        return Response(content, status_code=upstream.status, media_type=media_type)
    disposition = upstream.headers.get("content-disposition", "attachment")
    return StreamingResponse(
        _relay(upstream, path),
        media_type=media_type,
        headers={"content-disposition": disposition},
        background=BackgroundTask(upstream.release),
    )
