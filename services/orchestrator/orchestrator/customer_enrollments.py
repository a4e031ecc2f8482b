"""A customer's enrollments, newest first, each with the steps it has passed: for support.

Pages are cut by a cursor, the (enrolled_at, id) of the last enrollment of the previous page,
so a page never shifts while enrollments are added.
"""

from collections import defaultdict
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from kit.cursors import decode_time_cursor, encode_time_cursor
from kit.db import read_one_snapshot
from orchestrator import repository
from orchestrator.models import Enrollment, StepArrival


class StepPassed(BaseModel):
    step: str
    visit: int
    reached_at: datetime


class CustomerEnrollment(BaseModel):
    id: str
    chain_id: str
    version: int
    status: str  # active, exited
    holdout: bool
    step: str | None  # where it is now (active) or was last
    exit_step: str | None
    exit_reason: str | None
    touches: int
    enrolled_at: datetime
    exited_at: datetime | None
    steps: list[StepPassed]


class CustomerEnrollments(BaseModel):
    items: list[CustomerEnrollment]
    next_cursor: str | None = None


async def page(
    session: AsyncSession, customer_id: str, cursor: str | None, limit: int
) -> CustomerEnrollments:
    after = decode_time_cursor(cursor) if cursor else None
    # The enrollments and their steps from one snapshot: a step recorded between the two reads
    # would show among the steps passed but not as the enrollment's step.
    await read_one_snapshot(session)
    rows = await repository.enrollments_of_customer(session, customer_id, after, limit + 1)
    shown = rows[:limit]
    arrivals = await repository.arrivals_of(session, sorted({r.workflow_id for r in shown}))
    passed: dict[tuple[str, str], list[StepArrival]] = defaultdict(list)
    for arrival in arrivals:
        passed[(arrival.workflow_id, arrival.enrollment_key)].append(arrival)
    items = [_item(row, passed[(row.workflow_id, row.trigger_event_id)]) for row in shown]
    more = len(rows) > limit
    return CustomerEnrollments(items=items, next_cursor=_cursor(shown[-1]) if more else None)


def _item(row: Enrollment, arrivals: list[StepArrival]) -> CustomerEnrollment:
    steps = [StepPassed(step=a.step, visit=a.visit, reached_at=a.reached_at) for a in arrivals]
    return CustomerEnrollment.model_validate(
        {name: getattr(row, name) for name in CustomerEnrollment.model_fields if name != "steps"}
        | {"steps": steps}
    )


def _cursor(row: Enrollment) -> str:
    return encode_time_cursor(row.enrolled_at, row.id)
