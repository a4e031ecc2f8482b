"""A chain's enrollments for a marketer: one page at a time, newest first, with counts.

Pages are read from the enrollments table (the orchestrator's own record of every enrollment)
under an opaque cursor; the current step of an active enrollment is asked of its workflow, only
for the rows of the page, so a page costs at most its size in queries.
"""

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError

from kit.cursors import decode_time_cursor, encode_time_cursor
from orchestrator import repository
from orchestrator.models import Enrollment
from orchestrator.schemas import EnrollmentCounts, EnrollmentItem, EnrollmentPage
from orchestrator.workflows.messages import ChainStatus


async def page(
    session: AsyncSession,
    temporal: Client,
    chain_id: str,
    limit: int,
    cursor: str | None,
    status: str | None,
    step: str | None = None,
) -> EnrollmentPage:
    after = decode_time_cursor(cursor) if cursor else None
    rows = await repository.enrollment_page(session, chain_id, limit + 1, after, status, step)
    more, rows = len(rows) > limit, rows[:limit]
    steps = await asyncio.gather(*(_step(temporal, row) for row in rows))
    return EnrollmentPage(
        chain_id=chain_id,
        counts=counts(await repository.enrollment_counts(session, chain_id)),
        items=[_item(row, step) for row, step in zip(rows, steps, strict=True)],
        next_cursor=encode_time_cursor(rows[-1].enrolled_at, rows[-1].id) if more else None,
    )


def counts(groups: list[tuple[str, int, str | None, str | None, int]]) -> EnrollmentCounts:
    out = EnrollmentCounts()
    for status, version, reason, step, count in groups:
        out.total += count
        out.by_status[status] = out.by_status.get(status, 0) + count
        out.by_version[str(version)] = out.by_version.get(str(version), 0) + count
        if reason:
            out.by_exit_reason[reason] = out.by_exit_reason.get(reason, 0) + count
        if step:
            out.by_step[step] = out.by_step.get(step, 0) + count
    return out


async def _step(temporal: Client, row: Enrollment) -> str | None:
    if row.status != "active":
        return None
    try:
        status = await temporal.get_workflow_handle(row.workflow_id).query(
            "status", result_type=ChainStatus
        )
    except RPCError:  # ended between the read and the query: no current step
        return None
    return status.step


def _item(row: Enrollment, step: str | None) -> EnrollmentItem:
    return EnrollmentItem(
        customer_id=row.customer_id,
        workflow_id=row.workflow_id,
        version=row.version,
        holdout=row.holdout,
        status=row.status,
        step=step,
        touches=row.touches,
        exit_reason=row.exit_reason,
        enrolled_at=row.enrolled_at,
        exited_at=row.exited_at,
    )
