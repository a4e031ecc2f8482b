"""Templates, previews, test sends and communication policies for marketers, forwarded to
the notifier, which owns them; the schemas are the gateway's own. A customer's messages are
in the customer view (`routes/customer_view.py`)."""

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Response

from gateway.auth import scoped
from gateway.keys import Caller
from gateway.marketer.templates import (
    Channel,
    DraftPreview,
    DraftPreviewRequest,
    PolicyRead,
    PolicyWrite,
    Preview,
    PreviewRequest,
    StepTestSendRequest,
    StepTestSent,
    TemplatePage,
    TemplateRead,
    TemplateWrite,
    TestRecipientWrite,
    TestSent,
)
from gateway.routes.problems import problems
from gateway.upstreams import Notifier, Orchestrator, forward

router = APIRouter(prefix="/v1", tags=["templates and policies"])
Marketer = Annotated[Caller, Depends(scoped("marketer"))]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=400, description="`next_cursor` of a page")]
PAGED = problems({400: "`invalid_cursor`", 422: "`limit` not 1..200"})


def _page(limit: int, cursor: str | None) -> str:
    return urlencode({"limit": limit, **({"cursor": cursor} if cursor else {})})


@router.get(
    "/templates",
    response_model=TemplatePage,
    summary="Every template by name and channel: the defaults and the saved ones",
    responses=PAGED,
)
async def list_templates(
    _key: Marketer, client: Notifier, limit: Limit = 50, cursor: Cursor = None
) -> Response:
    return await forward(client, "GET", f"/templates?{_page(limit, cursor)}")


@router.get(
    "/templates/{name}/{channel}",
    response_model=TemplateRead,
    summary="One template on one channel, in every language it has",
    responses=problems({404: "`template_not_found`"}),
)
async def get_template(name: str, channel: Channel, _key: Marketer, client: Notifier) -> Response:
    return await forward(client, "GET", f"/templates/{name}/{channel}")


@router.put(
    "/templates/{name}/{channel}",
    response_model=TemplateRead,
    summary="Save a template on one channel (replaces the default of that name)",
    responses=problems(
        {422: "`template_variable_missing` (naming `variables`), `template_invalid`"}
    ),
)
async def put_template(
    name: str, channel: Channel, body: TemplateWrite, _key: Marketer, client: Notifier
) -> Response:
    return await forward(
        client, "PUT", f"/templates/{name}/{channel}", body.model_dump(mode="json")
    )


@router.post(
    "/templates/preview",
    response_model=DraftPreview,
    summary="Texts not saved yet, rendered as the saved preview renders them, with SMS "
    "segments and cost and the variables saving would refuse",
    responses=problems(
        {
            404: "`contact_not_found`",
            422: "`template_invalid`, `template_variable_missing`, `validation_error`",
        }
    ),
)
async def preview_draft(body: DraftPreviewRequest, _key: Marketer, client: Notifier) -> Response:
    return await forward(client, "POST", "/templates/preview", body.model_dump(mode="json"))


@router.post(
    "/templates/{name}/{channel}/preview",
    response_model=Preview,
    summary="The template as a chosen customer would get it, with SMS segments and cost",
    responses=problems(
        {
            404: "`template_not_found`, `contact_not_found`",
            422: "`template_variable_missing`, `template_invalid`",
        }
    ),
)
async def preview(
    name: str, channel: Channel, body: PreviewRequest, _key: Marketer, client: Notifier
) -> Response:
    path = f"/templates/{name}/{channel}/preview"
    return await forward(client, "POST", path, body.model_dump(mode="json"))


@router.post(
    "/templates/{name}/{channel}/test-send",
    response_model=TestSent,
    summary="Send the template now to a test recipient (outside quotas and analytics)",
    responses=problems(
        {
            404: "`template_not_found`, `contact_not_found`",
            409: "`not_a_test_recipient`, `test_recipient_unreachable`, `test_send_failed`",
        }
    ),
    openapi_extra={"x-costly": True},
)
async def test_send(
    name: str, channel: Channel, body: PreviewRequest, _key: Marketer, client: Notifier
) -> Response:
    path = f"/templates/{name}/{channel}/test-send"
    return await forward(client, "POST", path, body.model_dump(mode="json"))


@router.post(
    "/chains/{chain_id}/steps/{step_id}/test-send",
    response_model=StepTestSent,
    summary="Send one step of a chain's draft now to a test recipient, as the chain would",
    responses=problems(
        {
            404: "`chain_not_found`, `step_not_found`, `template_not_found`, `contact_not_found`",
            409: "`not_a_test_recipient`, `test_recipient_unreachable`, `test_send_failed`",
            422: "`channel_not_in_step`",
        }
    ),
    openapi_extra={"x-costly": True},
)
async def test_send_step(
    chain_id: str, step_id: str, body: StepTestSendRequest, _key: Marketer, client: Orchestrator
) -> Response:
    path = f"/chains/{chain_id}/steps/{step_id}/test-send"
    return await forward(client, "POST", path, body.model_dump(mode="json", exclude_none=True))


@router.put(
    "/customers/{customer_id}/test-recipient",
    summary="Flag a customer (a colleague) as a recipient of test sends, or unflag them",
    responses=problems({404: "`contact_not_found`"}),
)
async def put_test_recipient(
    customer_id: str, body: TestRecipientWrite, _key: Marketer, client: Notifier
) -> Response:
    path = f"/contacts/{customer_id}/test-recipient"
    return await forward(client, "PUT", path, body.model_dump(mode="json"))


@router.get(
    "/policies/program",
    response_model=PolicyRead,
    summary="The programme's communication policy (the defaults until one is saved)",
)
async def get_program_policy(_key: Marketer, client: Notifier) -> Response:
    return await forward(client, "GET", "/policies/program")


@router.put("/policies/program", response_model=PolicyRead, summary="Set the programme's policy")
async def put_program_policy(body: PolicyWrite, _key: Marketer, client: Notifier) -> Response:
    return await forward(client, "PUT", "/policies/program", body.model_dump(mode="json"))


@router.get(
    "/policies/{kind}/{owner_id}",
    response_model=PolicyRead,
    summary="A chain's or a campaign's override of the programme's policy",
    responses=problems({404: "`policy_not_found`: none saved, the programme's applies"}),
)
async def get_override(
    kind: Literal["chains", "campaigns"], owner_id: str, _key: Marketer, client: Notifier
) -> Response:
    return await forward(client, "GET", f"/policies/{_scope(kind, owner_id)}")


@router.put(
    "/policies/{kind}/{owner_id}",
    response_model=PolicyRead,
    summary="Override the programme's policy for one chain or campaign",
    responses=problems({422: "`invalid_scope`"}),
)
async def put_override(
    kind: Literal["chains", "campaigns"],
    owner_id: str,
    body: PolicyWrite,
    _key: Marketer,
    client: Notifier,
) -> Response:
    scope = _scope(kind, owner_id)
    return await forward(client, "PUT", f"/policies/{scope}", body.model_dump(mode="json"))


def _scope(kind: str, owner_id: str) -> str:
    return f"{kind.removesuffix('s')}:{owner_id}"
