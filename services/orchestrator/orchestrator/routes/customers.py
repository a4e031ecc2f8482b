from typing import Annotated

from fastapi import APIRouter, Query

from kit.web import SessionDep
from orchestrator import customer_enrollments
from orchestrator.customer_enrollments import CustomerEnrollments

router = APIRouter(prefix="/customers", tags=["customers"])


@router.get(
    "/{customer_id}/enrollments",
    response_model=CustomerEnrollments,
    summary="A customer's enrollments, newest first, with the steps each has passed "
    "(400 `invalid_cursor`)",
)
async def enrollments_of(
    customer_id: str,
    session: SessionDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CustomerEnrollments:
    return await customer_enrollments.page(session, customer_id, cursor, limit)
