from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from kit.clock import utcnow
from kit.paging import DEFAULT_LIMIT, PAGED, Cursor, Limit, Page
from kit.web import ResourcesDep, SessionDep
from segments import service
from segments.schemas import (
    CustomerSegmentOut,
    MembersPage,
    PreviewIn,
    PreviewOut,
    ProfileOut,
    RfmDistributionOut,
    SegmentIn,
    SegmentOut,
)
from segments.settings import SegmentsSettings

customers = APIRouter(prefix="/customers", tags=["customers"])
segments = APIRouter(prefix="/segments", tags=["segments"])
SegmentKind = Literal["recency", "rfm", "rule"]
INVALID: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid rule: each error names its JSON path and reason"}
}


@customers.get("/{customer_id}/profile", response_model=ProfileOut)
async def get_profile(customer_id: str, session: SessionDep) -> ProfileOut:
    return ProfileOut.model_validate(await service.get_profile(session, customer_id))


@customers.get("/{customer_id}/segments", summary="The segments a customer is in now")
async def customer_segments(customer_id: str, session: SessionDep) -> list[CustomerSegmentOut]:
    found = await service.segments_of(session, customer_id)
    return [CustomerSegmentOut(segment_id=s.id, version=s.version, name=s.name) for s in found]


@segments.get(
    "",
    summary="Segments (built-in and rule) by kind, then age, a page at a time",
    responses=PAGED,
)
async def list_segments(
    session: SessionDep,
    kind: SegmentKind | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[SegmentOut]:
    rows, following = await service.segments_page(session, kind, limit, cursor)
    return Page(items=[SegmentOut.model_validate(s) for s in rows], next_cursor=following)


@segments.post("", status_code=201, summary="Create a rule segment", responses=INVALID)
async def create_segment(body: SegmentIn, session: SessionDep) -> SegmentOut:
    segment = await service.create_segment(session, body, utcnow())
    count = await service.member_count(session, segment.id)
    return SegmentOut.model_validate(segment).model_copy(update={"member_count": count})


@segments.post("/preview", summary="Count and sample a rule without saving it", responses=INVALID)
async def preview(body: PreviewIn, session: SessionDep) -> PreviewOut:
    count, sample = await service.preview(session, body, utcnow())
    return PreviewOut(count=count, sample=sample)


@segments.get("/rfm/distribution", summary="Customers per named RFM segment")
async def rfm_distribution(session: SessionDep, resources: ResourcesDep) -> RfmDistributionOut:
    counts = await service.rfm_distribution(session)
    settings = resources.settings
    window = settings.rfm_window_days if isinstance(settings, SegmentsSettings) else 365
    return RfmDistributionOut(
        window_days=window, scored_customers=sum(counts.values()), segments=counts
    )


@segments.get("/{segment_id}", summary="Read a segment with its member count")
async def get_segment(segment_id: str, session: SessionDep) -> SegmentOut:
    segment = await service.get_segment(session, segment_id)
    count = await service.member_count(session, segment_id)
    return SegmentOut.model_validate(segment).model_copy(update={"member_count": count})


@segments.put("/{segment_id}", summary="Replace a rule segment (a new version)", responses=INVALID)
async def update_segment(segment_id: str, body: SegmentIn, session: SessionDep) -> SegmentOut:
    segment = await service.update_segment(session, segment_id, body, utcnow())
    count = await service.member_count(session, segment_id)
    return SegmentOut.model_validate(segment).model_copy(update={"member_count": count})


@segments.delete("/{segment_id}", status_code=204, summary="Delete a rule segment")
async def delete_segment(segment_id: str, session: SessionDep) -> Response:
    await service.delete_segment(session, segment_id, utcnow())
    return Response(status_code=204)


@segments.get(
    "/{segment_id}/members",
    summary="Members, a page at a time",
    responses={400: {"description": "A cursor this API did not give (`invalid_cursor`)"}},
)
async def members(
    segment_id: str,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> MembersPage:
    page, next_cursor = await service.members_page(session, segment_id, cursor, limit)
    return MembersPage(members=page, next_cursor=next_cursor)


@segments.get("/{segment_id}/members/export", summary="Every member as streamed CSV")
async def export_members(
    segment_id: str, session: SessionDep, resources: ResourcesDep
) -> StreamingResponse:
    await service.get_segment(session, segment_id)
    return StreamingResponse(
        service.export_members(resources.sessions, segment_id),
        media_type="text/csv",
        headers={"content-disposition": f'attachment; filename="segment-{segment_id}.csv"'},
    )


routers = [customers, segments]
