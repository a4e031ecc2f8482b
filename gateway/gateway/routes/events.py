from typing import Annotated

from fastapi import APIRouter, Body, Depends

from gateway import app_events
from gateway.auth import scoped
from gateway.keys import Caller
from gateway.schemas import APP_EVENT_EXAMPLES, AppEventIn, EventAccepted
from kit.web import SessionDep

router = APIRouter(prefix="/v1", tags=["app events"])
AppOrPos = Annotated[Caller, Depends(scoped("app", "pos"))]


@router.post(
    "/events",
    status_code=202,
    response_model=EventAccepted,
    summary="Report an app event: cart updated, cart cleared, product viewed",
    description=(
        "Published for segments and chains: a cart update can start the abandoned-cart chain, "
        "a purchase ends it. An app key reports for its own customer; a POS key names one."
    ),
)
async def report_event(
    body: Annotated[AppEventIn, Body(openapi_examples=APP_EVENT_EXAMPLES)],
    key: AppOrPos,
    session: SessionDep,
) -> EventAccepted:
    return await app_events.record(session, key, body)
