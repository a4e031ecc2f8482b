"""Thin HTTP layer: contacts, consents, templates, policies, deliveries, tracking, callbacks."""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Path, Query, Request

from kit import hygiene
from kit.clock import utcnow
from kit.contracts.delivery import DryRunDecision, DryRunDelivery
from kit.openapi import problem_response
from kit.web import ResourcesDep, SessionDep
from notifier import (
    deliveries,
    dry_runs,
    listings,
    outcomes,
    previews,
    repository,
    service,
    test_sends,
    tracking,
)
from notifier.policy_store import PolicyStore
from notifier.schemas import (
    AttemptOut,
    ClickOut,
    ConsentChangeOut,
    ConsentIn,
    ContactIn,
    ContactOut,
    DecisionOut,
    DeliveryOut,
    DeliveryPage,
    DeliveryRequest,
    DraftPreviewIn,
    DraftPreviewOut,
    OutcomesOut,
    PolicyIn,
    PolicyOut,
    PreviewIn,
    PreviewOut,
    PushTokenIn,
    TemplateIn,
    TemplateOut,
    TemplatePage,
    TestRecipientIn,
    TestSendIn,
    TestSendOut,
    TrackingIn,
    UnsubscribeOut,
)
from notifier.settings import NotifierSettings
from notifier.workflows.messages import Channel

# A NUL fits in no text column: refused as 422 `invalid_characters` before any route runs.
router = APIRouter(dependencies=[Depends(hygiene.refuse_nul)])


def settings_of(request: Request) -> NotifierSettings:
    settings: NotifierSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[NotifierSettings, Depends(settings_of)]

Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=400, description="`next_cursor` of a page")]
# As long as a contact's id may be: a longer one is 422 `validation_error`, not a failed write.
CustomerId = Annotated[str, Path(min_length=1, max_length=36, description="The customer's id")]


# --- contacts and consents ----------------------------------------------------------------


@router.put("/contacts/{customer_id}", response_model=ContactOut, tags=["contacts"])
async def put_contact(customer_id: CustomerId, body: ContactIn, session: SessionDep) -> ContactOut:
    return ContactOut.model_validate(await service.upsert_contact(session, customer_id, body))


@router.get("/contacts/{customer_id}", response_model=ContactOut, tags=["contacts"])
async def get_contact(customer_id: CustomerId, session: SessionDep) -> ContactOut:
    return ContactOut.model_validate(await service.get_contact(session, customer_id))


@router.put(
    "/contacts/{customer_id}/consents/{channel}", response_model=ContactOut, tags=["contacts"]
)
async def put_consent(
    customer_id: CustomerId, channel: Channel, body: ConsentIn, session: SessionDep
) -> ContactOut:
    contact = await service.set_consent(session, customer_id, channel, body.granted, body.source)
    return ContactOut.model_validate(contact)


@router.put(
    "/contacts/{customer_id}/test-recipient",
    response_model=ContactOut,
    tags=["contacts"],
    summary="Flag (or unflag) a customer as a recipient of test sends",
)
async def put_test_recipient(
    customer_id: CustomerId, body: TestRecipientIn, session: SessionDep
) -> ContactOut:
    contact = await service.get_contact(session, customer_id)
    contact.test_recipient = body.test_recipient
    return ContactOut.model_validate(contact)


@router.get(
    "/contacts/{customer_id}/consents",
    response_model=list[ConsentChangeOut],
    tags=["contacts"],
    summary="Every consent change, with its time and source",
)
async def consent_history(customer_id: CustomerId, session: SessionDep) -> list[ConsentChangeOut]:
    changes = await service.consent_history(session, customer_id)
    return [ConsentChangeOut.model_validate(change) for change in changes]


@router.get(
    "/contacts/{customer_id}/deliveries",
    response_model=DeliveryPage,
    tags=["contacts"],
    summary="A customer's messages newest first, each with why it was sent, held back or dropped",
)
async def customer_deliveries(
    customer_id: CustomerId, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> DeliveryPage:
    return await listings.deliveries(session, customer_id, limit, cursor)


@router.post("/contacts/{customer_id}/push-tokens", response_model=ContactOut, tags=["contacts"])
async def add_push_token(
    customer_id: CustomerId, body: PushTokenIn, session: SessionDep
) -> ContactOut:
    return ContactOut.model_validate(await service.add_push_token(session, customer_id, body))


@router.delete(
    "/contacts/{customer_id}/push-tokens/{device_id}", response_model=ContactOut, tags=["contacts"]
)
async def remove_push_token(
    customer_id: CustomerId, device_id: str, session: SessionDep
) -> ContactOut:
    contact = await service.remove_push_token(session, customer_id, device_id)
    return ContactOut.model_validate(contact)


# --- templates and policies ---------------------------------------------------------------


@router.get(
    "/templates",
    response_model=TemplatePage,
    tags=["templates"],
    summary="Every template, saved or shipped as a default, by name and channel",
)
async def list_templates(
    session: SessionDep, settings: SettingsDep, limit: Limit = 50, cursor: Cursor = None
) -> TemplatePage:
    return await listings.templates(session, settings, limit, cursor)


@router.put("/templates/{name}/{channel}", response_model=TemplateOut, tags=["templates"])
async def put_template(
    name: str, channel: Channel, body: TemplateIn, session: SessionDep, settings: SettingsDep
) -> TemplateOut:
    return await service.save_template(session, name, channel, body, settings)


@router.get("/templates/{name}/{channel}", response_model=TemplateOut, tags=["templates"])
async def get_template(
    name: str, channel: Channel, session: SessionDep, settings: SettingsDep
) -> TemplateOut:
    return await service.template_out(session, name, channel, settings)


@router.post(
    "/templates/preview",
    response_model=DraftPreviewOut,
    tags=["templates"],
    summary="Texts not saved yet rendered as the saved preview does, with unknown variables",
    responses={404: {"description": "`contact_not_found`"}},
)
async def preview_draft(
    body: DraftPreviewIn, session: SessionDep, settings: SettingsDep
) -> DraftPreviewOut:
    return await previews.preview_draft(session, body, settings)


@router.post(
    "/templates/{name}/{channel}/preview",
    response_model=PreviewOut,
    tags=["templates"],
    summary="The template rendered for a customer, in their language, with SMS segments and cost",
)
async def preview_template(
    name: str, channel: Channel, body: PreviewIn, session: SessionDep, settings: SettingsDep
) -> PreviewOut:
    return await previews.preview(session, name, channel, body, settings)


@router.post(
    "/templates/{name}/{channel}/test-send",
    response_model=TestSendOut,
    tags=["templates"],
    summary="Send the template now to a test recipient, outside every quota and analytics",
    responses={409: {"description": "`not_a_test_recipient`, `test_recipient_unreachable`"}},
)
async def test_send(
    name: str, channel: Channel, body: TestSendIn, session: SessionDep, settings: SettingsDep
) -> TestSendOut:
    return await test_sends.test_send(session, settings, name, channel, body)


@router.put("/policies/{scope}", response_model=PolicyOut, tags=["policies"])
async def put_policy(scope: str, body: PolicyIn, session: SessionDep) -> PolicyOut:
    return PolicyOut.model_validate(await service.save_policy(session, scope, body))


@router.get("/policies/{scope}", response_model=PolicyOut, tags=["policies"])
async def get_policy(scope: str, session: SessionDep) -> PolicyOut:
    return PolicyOut.model_validate(await service.get_policy(session, scope))


# --- deliveries ---------------------------------------------------------------------------


@router.post("/deliveries", response_model=DeliveryOut, status_code=201, tags=["deliveries"])
async def deliver(
    body: DeliveryRequest, session: SessionDep, resources: ResourcesDep, settings: SettingsDep
) -> DeliveryOut:
    delivery = await deliveries.open_delivery(session, body)
    await tracking.start_workflow(await resources.temporal(), settings.task_queue, body)
    return DeliveryOut.model_validate(delivery)


@router.post(
    "/deliveries/dry-run",
    response_model=DryRunDecision,
    tags=["deliveries"],
    summary="What the policy and the cascade would decide for a message at `at`; "
    "nothing is sent, recorded or counted against the cap",
)
async def dry_run(
    body: DryRunDelivery, session: SessionDep, resources: ResourcesDep, settings: SettingsDep
) -> DryRunDecision:
    return await dry_runs.decide(session, PolicyStore(resources.redis), settings, body)


@router.get(
    "/outcomes",
    response_model=OutcomesOut,
    tags=["deliveries"],
    summary="What became of one source's messages: sent, pending, deferred, failed, skipped",
)
async def get_outcomes(
    source: Annotated[str, Query(min_length=1, max_length=200, examples=["campaign:c1"])],
    session: SessionDep,
) -> OutcomesOut:
    return await outcomes.of_source(session, source)


@router.get("/deliveries/{delivery_id}", response_model=DeliveryOut, tags=["deliveries"])
async def get_delivery(delivery_id: str, session: SessionDep) -> DeliveryOut:
    delivery = await deliveries.get_delivery(session, delivery_id)
    out = DeliveryOut.model_validate(delivery)
    attempts = await repository.attempts_of(session, delivery_id)
    out.attempts = [AttemptOut.model_validate(attempt) for attempt in attempts]
    return out


@router.get(
    "/deliveries/{delivery_id}/decisions",
    response_model=list[DecisionOut],
    tags=["deliveries"],
    summary="Every careful-communication decision about this delivery, with its reason",
)
async def get_decisions(delivery_id: str, session: SessionDep) -> list[DecisionOut]:
    await deliveries.get_delivery(session, delivery_id)
    found = await repository.decisions_of(session, delivery_id)
    return [DecisionOut.model_validate(decision) for decision in found]


# --- tracking (served to the public through the gateway) and provider callbacks -----------
# The workflow hears of a reaction only once it is committed: signals go as background tasks.


@router.post("/tracking/click", response_model=ClickOut, tags=["tracking"])
async def click(
    body: TrackingIn,
    session: SessionDep,
    resources: ResourcesDep,
    settings: SettingsDep,
    later: BackgroundTasks,
) -> ClickOut:
    target, signal = await tracking.click(session, settings, body.token)
    later.add_task(tracking.send_signal, resources, signal)
    return ClickOut(target=target)


@router.post("/tracking/open", status_code=204, tags=["tracking"])
async def open_pixel(
    body: TrackingIn,
    session: SessionDep,
    resources: ResourcesDep,
    settings: SettingsDep,
    later: BackgroundTasks,
) -> None:
    later.add_task(
        tracking.send_signal, resources, await tracking.opened(session, settings, body.token)
    )


@router.post("/tracking/unsubscribe", response_model=UnsubscribeOut, tags=["tracking"])
async def unsubscribe(
    body: TrackingIn, session: SessionDep, settings: SettingsDep
) -> UnsubscribeOut:
    return await tracking.unsubscribe(session, settings, body.token)


@router.post(
    "/callbacks/provider",
    status_code=204,
    tags=["tracking"],
    responses={
        401: problem_response(
            "`invalid_signature`: not signed with the callback secret; `stale_callback`"
        )
    },
)
async def provider_callback(
    request: Request,
    session: SessionDep,
    resources: ResourcesDep,
    settings: SettingsDep,
    later: BackgroundTasks,
    signature: Annotated[str | None, Header(alias="X-Provider-Signature")] = None,
    timestamp: Annotated[str | None, Header(alias="X-Provider-Timestamp")] = None,
) -> None:
    body = await request.body()
    now = int(utcnow().timestamp())
    signal = await tracking.callback(session, settings, body, signature, timestamp, now)
    later.add_task(tracking.send_signal, resources, signal)
