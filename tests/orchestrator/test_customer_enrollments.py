"""A customer's enrollments page by cursor on real PostgreSQL, newest first, never shifting."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from kit.cursors import InvalidCursor
from kit.db import create_engine, session_factory, unit_of_work
from kit.migrations import upgrade_async
from orchestrator import customer_enrollments, enrollments, repository
from orchestrator.models import Enrollment, StepArrival
from orchestrator.workflows.messages import StepReached

START = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def enrollment(n: int, customer: str = "c1") -> Enrollment:
    return Enrollment(
        id=f"e{n}",
        chain_id="welcome",
        version=1,
        customer_id=customer,
        workflow_id=f"chain/welcome/{customer}",
        trigger_event_id=f"t{n}",
        holdout=False,
        status="active",
        touches=0,
        enrolled_at=START + timedelta(days=n // 2),  # two enrollments share each time
        step="wait",
    )


async def test_pages_follow_the_cursor_and_carry_the_steps_passed(postgres_url: str) -> None:
    await upgrade_async("orchestrator:migrations", postgres_url)
    engine = create_engine(postgres_url)
    sessions = session_factory(engine)
    async with unit_of_work(sessions) as session:
        session.add_all([enrollment(n) for n in range(5)] + [enrollment(9, customer="c2")])
        session.add(
            StepArrival(
                workflow_id="chain/welcome/c1",
                enrollment_key="t4",
                step="hello",
                visit=1,
                chain_id="welcome",
                version=1,
                holdout=False,
                reached_at=START,
            )
        )
    seen: list[str] = []
    cursor = None
    async with unit_of_work(sessions) as session:
        while True:
            page = await customer_enrollments.page(session, "c1", cursor, 2)
            seen += [item.id for item in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        first = await customer_enrollments.page(session, "c1", None, 1)
        with pytest.raises(InvalidCursor):
            await customer_enrollments.page(session, "c1", "bm90LW91cnM=", 2)
    await engine.dispose()
    assert seen == ["e4", "e3", "e2", "e1", "e0"]
    assert [s.step for s in first.items[0].steps] == ["hello"]


async def test_a_page_shows_an_enrollment_and_its_steps_as_of_one_moment(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await upgrade_async("orchestrator:migrations", postgres_url)
    engine = create_engine(postgres_url)
    sessions = session_factory(engine)
    row = enrollment(0, customer="c3")
    async with unit_of_work(sessions) as session:
        session.add(row)
    read_steps = repository.arrivals_of

    async def a_step_reached_meanwhile(session: AsyncSession, ids: Sequence[str]) -> Any:
        # The workflow enters its next step between the page's two reads.
        reached = StepReached(
            workflow_id=row.workflow_id,
            chain_id="welcome",
            version=1,
            enrollment_key=row.trigger_event_id,
            step="next",
            visit=1,
            holdout=False,
            reached_at=START,
        )
        async with unit_of_work(sessions) as other:
            await enrollments.record_step(other, reached)
        return await read_steps(session, ids)

    monkeypatch.setattr(repository, "arrivals_of", a_step_reached_meanwhile)
    async with sessions() as session:
        page = await customer_enrollments.page(session, "c3", None, 5)
    async with sessions() as session:
        now = await customer_enrollments.page(session, "c3", None, 5)
    await engine.dispose()
    (item,) = page.items
    assert (item.step, [s.step for s in item.steps]) == ("wait", [])
    assert (now.items[0].step, [s.step for s in now.items[0].steps]) == ("next", ["next"])
