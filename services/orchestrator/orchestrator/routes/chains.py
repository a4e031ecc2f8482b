import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from kit.contracts.dry_run import DryRunOut
from kit.paging import DEFAULT_LIMIT, PAGED, Cursor, Limit, Page
from kit.web import SessionDep
from orchestrator import (
    audiences,
    chains,
    enrollment_pages,
    enrollments,
    lists,
    publish_checks,
    repository,
    step_tests,
)
from orchestrator.definitions.builtin import BUILT_IN
from orchestrator.definitions.model import STEP_ID, ChainDefinition
from orchestrator.dry_runs import service as dry_runs
from orchestrator.dry_runs.schemas import DryRunIn
from orchestrator.enrollments import Runtime
from orchestrator.errors import ChainNotActive, EnrollmentNotFound, EnrollmentRefused
from orchestrator.routes.deps import ActivitiesDep, NotifierDep, RuntimeDep, SegmentsDep
from orchestrator.schedules.service import ensure_schedule, follow_lifecycle
from orchestrator.schemas import (
    Cancelled,
    ChainOut,
    EnrollmentCreate,
    EnrollmentOut,
    EnrollmentPage,
    StepTestSend,
    StepTestSent,
    TemplateCopy,
    Validated,
    VersionOut,
)
from orchestrator.workflows import chain_workflow_id
from orchestrator.workflows.messages import CancelSignalV1, ChainStatus, CustomerEventV1

router = APIRouter(prefix="/chains", tags=["chains"])
# Versions are 32-bit in the database: a larger number names nothing and is refused as input.
VersionNumber = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/templates", response_model=list[ChainDefinition], summary="The built-in chains")
async def templates() -> list[ChainDefinition]:
    return list(BUILT_IN.values())


@router.post(
    "/templates/{template_id}/copy",
    status_code=201,
    response_model=ChainOut,
    summary="Copy a built-in chain as a draft (its audience segment is made to exist)",
)
async def copy_template(
    template_id: str, body: TemplateCopy, session: SessionDep, segments: SegmentsDep
) -> ChainOut:
    copy = await audiences.with_audience(segments, chains.template_copy(template_id, body.id))
    return ChainOut.model_validate(await chains.create(session, copy))


@router.post("/validate", response_model=Validated, summary="Check a definition, save nothing")
async def validate(body: ChainDefinition) -> Validated:
    chains.check(body)
    return Validated(valid=True)


@router.get(
    "",
    response_model=Page[ChainOut],
    summary="Chains by id, a page at a time",
    responses=PAGED,
)
async def list_chains(
    session: SessionDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[ChainOut]:
    rows, following = await lists.chains(session, limit, cursor)
    return Page(items=[ChainOut.model_validate(c) for c in rows], next_cursor=following)


@router.post("", status_code=201, response_model=ChainOut, summary="Create a draft chain")
async def create_chain(body: ChainDefinition, session: SessionDep) -> ChainOut:
    return ChainOut.model_validate(await chains.create(session, body))


@router.get("/{chain_id}", response_model=ChainOut)
async def get_chain(chain_id: str, session: SessionDep) -> ChainOut:
    return ChainOut.model_validate(await chains.get(session, chain_id))


@router.put("/{chain_id}", response_model=ChainOut, summary="Edit the draft")
async def edit_chain(chain_id: str, body: ChainDefinition, session: SessionDep) -> ChainOut:
    return ChainOut.model_validate(await chains.edit(session, chain_id, body))


@router.post(
    "/{chain_id}/publish",
    response_model=VersionOut,
    summary="Draft → new version",
    responses={
        422: {"description": "`template_missing`: a send step's template is missing on a channel"},
        503: {"description": "`notifier_unavailable`: the templates could not be checked"},
    },
)
async def publish(
    chain_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    segments: SegmentsDep,
    notifier: NotifierDep,
) -> VersionOut:
    draft = ChainDefinition.model_validate((await chains.get(session, chain_id)).draft)
    await publish_checks.check_templates(notifier, draft)
    ensured = await audiences.with_audience(segments, draft)
    if ensured != draft:
        await chains.edit(session, chain_id, ensured)
    published = await chains.publish(session, chain_id)
    paused = (await chains.get(session, chain_id)).status == "paused"
    definition = chains.definition_of(published)
    await ensure_schedule(runtime.temporal, definition, runtime.task_queue, paused)
    return VersionOut.model_validate(published)


@router.post(
    "/{chain_id}/steps/{step_id}/test-send",
    response_model=StepTestSent,
    summary="Send one step's message of the draft now to a test recipient",
    responses={
        404: {"description": "`chain_not_found`, `step_not_found`, `template_not_found`"},
        409: {"description": "`not_a_test_recipient`, `test_recipient_unreachable`"},
        422: {"description": "`channel_not_in_step`"},
    },
)
async def test_send_step(
    chain_id: str, step_id: str, body: StepTestSend, session: SessionDep, notifier: NotifierDep
) -> StepTestSent:
    draft = ChainDefinition.model_validate((await chains.get(session, chain_id)).draft)
    return StepTestSent.model_validate(await step_tests.test_send(notifier, draft, step_id, body))


@router.post(
    "/{chain_id}/dry-run",
    response_model=DryRunOut,
    summary="The path a customer would take through the draft, a version or a given "
    "definition: steps and times, each message's channel and policy decision, each grant; "
    "nothing is sent, granted or counted",
    responses={
        404: {"description": "`chain_not_found`, `chain_version_not_found`"},
        422: {"description": "`chain_invalid`, `id_mismatch`, `validation_error`"},
        503: {"description": "`notifier_unavailable`, `segments_unavailable`"},
    },
)
async def dry_run(
    chain_id: str, body: DryRunIn, session: SessionDep, activities: ActivitiesDep
) -> DryRunOut:
    definition, version = await chains.to_try(session, chain_id, body.version, body.definition)
    return await dry_runs.walk(definition, version, body, activities)


@router.post("/{chain_id}/pause", response_model=ChainOut, summary="Stop new enrollments")
async def pause(chain_id: str, session: SessionDep, runtime: RuntimeDep) -> ChainOut:
    return await _transition(session, runtime, chain_id, "pause")


@router.post("/{chain_id}/resume", response_model=ChainOut, summary="Enroll again")
async def resume(chain_id: str, session: SessionDep, runtime: RuntimeDep) -> ChainOut:
    return await _transition(session, runtime, chain_id, "resume")


@router.post("/{chain_id}/archive", response_model=ChainOut, summary="Retire for good")
async def archive(chain_id: str, session: SessionDep, runtime: RuntimeDep) -> ChainOut:
    return await _transition(session, runtime, chain_id, "archive")


async def _transition(
    session: AsyncSession, runtime: Runtime, chain_id: str, action: str
) -> ChainOut:
    """The chain's new status, and its schedule (if it has one) follows it."""
    chain = await chains.transition(session, chain_id, action)
    if chain.trigger_key == "schedule":
        await follow_lifecycle(runtime.temporal, chain_id, chain.status)
    return ChainOut.model_validate(chain)


@router.get(
    "/{chain_id}/versions",
    response_model=Page[VersionOut],
    summary="A chain's published versions, oldest first, a page at a time",
    responses={**PAGED, 404: {"description": "`chain_not_found`"}},
)
async def versions(
    chain_id: str, session: SessionDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[VersionOut]:
    await chains.get(session, chain_id)
    rows, following = await lists.versions(session, chain_id, limit, cursor)
    return Page(items=[VersionOut.model_validate(v) for v in rows], next_cursor=following)


@router.get("/{chain_id}/versions/{number}", response_model=VersionOut)
async def version(chain_id: str, number: VersionNumber, session: SessionDep) -> VersionOut:
    return VersionOut.model_validate(await chains.version(session, chain_id, number))


@router.post(
    "/{chain_id}/enrollments",
    status_code=201,
    response_model=EnrollmentOut,
    summary="Enroll a customer now (the active version), as a schedule or a marketer would",
    responses={409: {"description": "Running already, or re-entry not allowed"}},
)
async def enroll(
    chain_id: str, body: EnrollmentCreate, session: SessionDep, runtime: RuntimeDep
) -> EnrollmentOut:
    chain = await chains.get(session, chain_id)
    if chain.active_version is None or chain.status != "active":
        raise ChainNotActive(f"chain {chain_id!r} is {chain.status}")
    published = await chains.version(session, chain_id, chain.active_version)
    event = CustomerEventV1(event_id=str(uuid.uuid4()), event_type="manual")
    definition = chains.definition_of(published)
    started = await enrollments.enroll(
        session, runtime, definition, published.version, body.customer_id, event, body.time_zone
    )
    if started is None:
        raise EnrollmentRefused(f"{body.customer_id} cannot enter {chain_id} now")
    return EnrollmentOut(
        workflow_id=started.workflow_id,
        chain_id=chain_id,
        customer_id=body.customer_id,
        status="running",
        version=started.version,
        holdout=started.holdout,
    )


@router.get(
    "/{chain_id}/enrollments",
    response_model=EnrollmentPage,
    summary="A chain's enrollments newest first, a page at a time, with counts",
    responses={
        400: {"description": "`invalid_cursor`"},
        422: {"description": "A bad `limit`, `status` or `step`"},
    },
)
async def list_enrollments(
    chain_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    status: Literal["active", "exited"] | None = None,
    step: Annotated[
        str | None,
        Query(
            pattern=STEP_ID,
            description="Only those at this step now, or that left the chain there",
        ),
    ] = None,
) -> EnrollmentPage:
    await chains.get(session, chain_id)
    return await enrollment_pages.page(
        session, runtime.temporal, chain_id, limit, cursor, status, step
    )


@router.get("/{chain_id}/enrollments/{customer_id}", response_model=EnrollmentOut)
async def get_enrollment(
    chain_id: str, customer_id: str, session: SessionDep, runtime: RuntimeDep
) -> EnrollmentOut:
    handle = runtime.temporal.get_workflow_handle(chain_workflow_id(chain_id, customer_id))
    try:
        described = await handle.describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise EnrollmentNotFound() from exc
        raise
    out = EnrollmentOut(
        workflow_id=handle.id,
        chain_id=chain_id,
        customer_id=customer_id,
        status=described.status.name.lower() if described.status else "unknown",
    )
    if described.status == WorkflowExecutionStatus.RUNNING:
        status = await handle.query("status", result_type=ChainStatus)
        out.step, out.touches = status.step, status.touches
        out.version, out.holdout = status.version, status.holdout
    elif last := await repository.last_enrollment(session, chain_id, customer_id):
        out.exit_reason, out.touches = last.exit_reason, last.touches
        out.version, out.holdout = last.version, last.holdout
    return out


@router.post("/{chain_id}/enrollments/{customer_id}/cancel", status_code=202)
async def cancel_enrollment(chain_id: str, customer_id: str, runtime: RuntimeDep) -> Cancelled:
    workflow_id = chain_workflow_id(chain_id, customer_id)
    cancelled = await enrollments.signal(runtime.temporal, workflow_id, "cancel", CancelSignalV1())
    if not cancelled:
        raise EnrollmentNotFound()
    return Cancelled(cancelled=True)
