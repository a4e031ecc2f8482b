"""The till's usual steps read without a lock and write with a check (loyalty.till_driver): a
step whose member changed between its read and its write writes nothing, and the session's
path takes it again under the member's lock, on what is true by then."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import create_engine, session_factory, unit_of_work
from kit.testing import wait_for
from loyalty import ledger, purchases
from loyalty.domain.rules import ProgramRules
from loyalty.models import Lot, Member
from loyalty.purchase_schemas import ReserveRequest, StepRequest
from tests.loyalty.test_confirm_statements import statements_by_path
from tests.loyalty.till import Till, sofa

STORE = "berlin-01"


def _rules(till: Till) -> ProgramRules:
    rules: ProgramRules = till.app.state.rules
    return rules


async def _waiting_for_the_member(session: AsyncSession) -> bool:
    """The step waits for the member's row, locked by another transaction: at its checked
    write, having read without a lock."""
    # PostgreSQL keeps one picture of the server's activity for a whole transaction: taken
    # again, it shows the step's connection even if that was opened after the first look.
    await session.execute(text("SELECT pg_stat_clear_snapshot()"))
    found = await session.scalar(
        text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database()"
        )
    )
    return bool(found)


@asynccontextmanager
async def _another_till(till: Till) -> AsyncIterator[AsyncSession]:
    """A transaction holding the member's lock, on a connection of its own: what the till's
    engine sends is the step's alone."""
    engine = create_engine(till.settings.database_url)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            yield session
    finally:
        await engine.dispose()


async def _step_held_at_its_write(
    holder: AsyncSession, step: Awaitable[httpx.Response]
) -> asyncio.Task[httpx.Response]:
    """Starts the till's step and waits until it waits for the member ``holder`` locked."""
    task = asyncio.ensure_future(step)
    await wait_for(lambda: _waiting_for_the_member(holder), "the step's write waiting", 60)
    return task


async def test_a_confirm_whose_member_changed_after_its_read_is_taken_again_under_the_lock(
    till: Till,
) -> None:
    member = await till.member()
    first = (await till.reserve(member, sofa(price=30_000))).json()["txid"]
    second = (await till.reserve(member, sofa(price=20_000))).json()["txid"]
    with statements_by_path(till) as (_every, session_path, _driver):
        async with _another_till(till) as session:
            assert await ledger.lock_member(session, member) is not None
            confirming = await _step_held_at_its_write(
                session, till.http.post(f"/purchases/{first}/confirm?store_id={STORE}", json={})
            )
            # Another till confirms the member's other purchase meanwhile: their spend changes.
            await purchases.confirm(session, _rules(till), second, STORE, StepRequest(), None)
        confirmed = await asyncio.wait_for(confirming, timeout=60)
    assert confirmed.status_code == 200, confirmed.text
    assert any("FOR UPDATE" in s for s in session_path)  # taken again, under the lock
    async with till.sessions() as session:
        stored = await session.get(Member, member)
        assert stored is not None and stored.trailing_spend == 30_000 + 20_000


async def test_a_reservation_whose_points_went_after_its_read_is_taken_again_under_the_lock(
    till: Till,
) -> None:
    member = await till.member()
    await till.grant(member, 100)
    body = {**till.receipt(member, sofa()), "points": 100}
    with statements_by_path(till) as (_every, session_path, _driver):
        async with _another_till(till) as session:
            assert await ledger.lock_member(session, member) is not None
            reserving = await _step_held_at_its_write(
                session, till.http.post("/purchases", json={**body, "txid": uuid.uuid4().hex})
            )
            # Another till reserves the same points meanwhile.
            other = ReserveRequest(**{**body, "txid": uuid.uuid4().hex})
            await purchases.reserve(session, _rules(till), other, None)
        refused = await asyncio.wait_for(reserving, timeout=60)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "insufficient_points"
    assert any("FOR UPDATE" in s for s in session_path)
    async with till.sessions() as session:
        held: Any = await session.execute(select(Lot.reserved).where(Lot.member_id == member))
        assert list(held.scalars()) == [100]  # once, by the other till
