from fastapi import APIRouter
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from kit.errors import NotFound
from kit.web import ResourcesDep
from orchestrator.schemas import EnrollmentOut
from orchestrator.workflows import chain_workflow_id
from orchestrator.workflows.messages import ChainStatus

router = APIRouter(prefix="/chains", tags=["chains"])


class EnrollmentNotFound(NotFound):
    code = "enrollment_not_found"
    title = "This customer is not enrolled in this chain"


@router.get("/{chain_id}/enrollments/{customer_id}", response_model=EnrollmentOut)
async def get_enrollment(chain_id: str, customer_id: str, resources: ResourcesDep) -> EnrollmentOut:
    handle = (await resources.temporal()).get_workflow_handle(
        chain_workflow_id(chain_id, customer_id)
    )
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
    elif described.status == WorkflowExecutionStatus.COMPLETED:
        result = await handle.result()
        out.exit_reason, out.touches = result.exit_reason, result.touches
    return out
