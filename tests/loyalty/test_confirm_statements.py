"""A reservation's and a confirm's round trips to PostgreSQL: each statement they send, counted."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select, text, update

from kit import driver
from kit.clock import utcnow
from kit.contracts.loyalty import MemberTierChanged, MemberTierChangedPayload
from kit.db import unit_of_work
from loyalty import ledger, till_writes
from loyalty.ledger import Journal
from loyalty.models import Lot, Member, Purchase, outbox
from tests.loyalty.till import Till, days_from_now, lamp, sofa


@contextmanager
def statements_by_path(till: Till) -> Iterator[tuple[list[str], list[str], list[str]]]:
    """Every statement sent; those sent through SQLAlchemy's session; those sent on the
    driver's connection (loyalty.till_driver)."""
    engine = till.sessions.kw["bind"]
    every: list[str] = []
    session: list[str] = []
    on_driver: list[str] = []

    def seen(statement: str, path: list[str]) -> None:
        every.append(" ".join(statement.split()))
        path.append(every[-1])

    def by_session(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen(statement, session)

    event.listen(engine.sync_engine, "before_cursor_execute", by_session)
    unlisten = driver.listen(engine, lambda statement: seen(statement, on_driver))
    try:
        yield every, session, on_driver
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", by_session)
        unlisten()


@contextmanager
def statements_sent(till: Till) -> Iterator[list[str]]:
    with statements_by_path(till) as (every, _session, _driver):
        yield every


async def _lapse(till: Till, txid: str) -> None:
    """The reservation's time runs out."""
    async with unit_of_work(till.sessions) as session:
        await session.execute(
            update(Purchase)
            .where(Purchase.txid == txid)
            .values(reserved_until=utcnow() - timedelta(seconds=1))
        )


async def test_the_usual_steps_go_on_the_drivers_connection_and_the_rest_through_the_session(
    till: Till,
) -> None:
    member = await till.member()
    await till.grant(member, 1_000)
    with statements_by_path(till) as (_every, session, on_driver):
        txid = (await till.reserve(member, sofa(), points=100)).json()["txid"]
        assert (await till.confirm(txid)).status_code == 200
        again = await till.confirm(txid)  # a retry replays the first answer, writing nothing
    assert again.status_code == 200 and again.json()["status"] == "confirmed"
    assert session == []
    # Reserve: a read and a write. Confirm without a store: a read, which finds the purchase by
    # its txid at whichever store holds it, and a write. The retry: the read alone, which finds
    # the purchase confirmed.
    assert len(on_driver) == 2 + 2 + 1
    assert not any("FOR UPDATE" in s for s in on_driver if s.startswith("SELECT"))
    # A reservation that needs a closer look (a lapsed one to release) is left to the session
    # from its start: the driver only read, and the session locks and reads again.
    lapsing = (await till.reserve(member, sofa(), points=100)).json()["txid"]
    await _lapse(till, lapsing)
    with statements_by_path(till) as (_every, session, on_driver):
        assert (await till.reserve(member, sofa(), points=100)).status_code == 201
    assert len(on_driver) == 1  # the read, which asked for the closer look
    assert any(s.startswith("SELECT") and "FOR UPDATE" in s for s in session)
    async with till.sessions() as reading:
        lapsed = await reading.get(Purchase, {"txid": lapsing, "store_id": "berlin-01"})
        assert lapsed is not None and lapsed.status == "lapsed"


# Without its store the purchase is found by its txid alone, in the same locking statement.
@pytest.mark.parametrize("store", ["?store_id=berlin-01", ""])
async def test_a_confirm_reads_its_capture_and_the_lots_it_names_in_one_statement(
    till: Till, store: str
) -> None:
    member = await till.member()
    await till.grant(member, 1_000)
    txid = (await till.reserve(member, sofa(), points=100)).json()["txid"]
    with statements_sent(till) as statements:
        confirmed = await till.http.post(f"/purchases/{txid}/confirm{store}", json={})
    assert confirmed.status_code == 200, confirmed.text
    reads_of_lots = [s for s in statements if s.startswith("SELECT") and "FROM lots" in s]
    assert reads_of_lots == []  # the lots' origins come with the allocations
    # With a store or without: one read of the member, the purchase and the capture, with no
    # lock; then every write of the confirm in one statement (loyalty.till_writes), which
    # extends the purchase lots too.
    assert len(statements) == 2
    read, last = statements[-2:]
    assert read.startswith("SELECT") and "FOR UPDATE" not in read
    assert "FROM allocations" in read and "members.trailing_spend" in read
    # The member's spend in the window is the stored one, not a sum of the member's purchases,
    # so a confirm costs a frequent shopper no more than anyone.
    assert "FROM purchases AS counted" not in read
    for written in (
        "UPDATE lots",
        "UPDATE members",
        "UPDATE purchases",
        "INSERT INTO lots",
        "INSERT INTO outbox",
    ):
        assert written in last
    assert "INSERT INTO journal" in last


async def test_the_tills_statements_are_planned_once_per_connection(till: Till) -> None:
    """PostgreSQL would plan the reservation's write again at every run (`plan_cache_mode`
    auto): the loyalty API's connections take one plan per statement from the first run."""
    member = await till.member()
    await till.grant(member, 100_000)
    for _ in range(8):  # past the five runs after which `auto` weighs a generic plan
        await till.buy(member, lamp(), points=10)
    engine = till.sessions.kw["bind"]
    async with engine.connect() as connection:  # one at a time: the one the steps took
        assert await connection.scalar(text("SHOW plan_cache_mode")) == "force_generic_plan"
        plans = (
            await connection.exec_driver_sql(
                "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
            )
        ).all()
    steps = [p for p in plans if "FROM members" in p.statement or "FROM lots" in p.statement]
    reservation = [p for p in steps if "INSERT INTO allocations" in p.statement]
    assert len(reservation) == 1 and reservation[0].generic_plans >= 8
    assert len(steps) >= 4 and all(p.custom_plans == 0 for p in steps), plans


async def test_a_reservation_writes_its_holds_allocations_journal_and_purchase_at_once(
    till: Till,
) -> None:
    member = await till.member()
    await till.grant(member, 1_000)
    with statements_sent(till) as statements:
        reserved = await till.reserve(member, sofa(), points=100)
    assert reserved.status_code == 201, reserved.text
    # The member's tier and lots, with whether a retry or a lapsed reservation needs a closer
    # look first (neither here), with no lock; then one write, which locks and checks.
    assert len(statements) == 2
    assert "FOR UPDATE" not in statements[0]
    last = statements[-1]
    for written in ("UPDATE lots", "INSERT INTO allocations", "INSERT INTO journal"):
        assert written in last
    assert "INSERT INTO purchases" in last


async def test_a_change_the_confirms_statement_does_not_carry_is_still_written(till: Till) -> None:
    member_id = await till.member()
    txid = (await till.reserve(member_id, sofa())).json()["txid"]
    review_at = utcnow() + timedelta(days=400)
    async with unit_of_work(till.sessions) as session:
        member, purchase = await ledger.lock_member_with_purchase(session, "berlin-01", txid)
        assert member is not None and purchase is not None
        was = till_writes.as_read(member)
        member.city = "Hamburg"  # not a column a confirm changes: the ORM writes it
        member.tier_review_at = review_at  # one the statement writes
        purchase.fingerprints = {**purchase.fingerprints, "note": "kept"}
        journal = Journal("note", member.id, txid, utcnow())
        event = MemberTierChanged(
            customer_id=member.id,
            occurred_at=utcnow(),
            payload=MemberTierChangedPayload(previous_tier="base", tier="base", trailing_spend=0),
        )
        writes = till_writes.Confirmation(
            member, was, purchase, {}, None, journal, event, utcnow(), utcnow()
        )
        await till_writes.confirm(session, writes)
    async with till.sessions() as session:
        stored = await session.get(Member, member_id)
        bought = await session.get(Purchase, {"txid": txid, "store_id": "berlin-01"})
        assert stored is not None and bought is not None
        assert (stored.city, stored.tier_review_at) == ("Hamburg", review_at)
        assert bought.fingerprints["note"] == "kept"
        assert bought.status == "reserved"
        written = await session.scalar(
            select(func.count()).where(outbox.table.c.event_id == str(event.id))
        )
        assert written == 1


async def test_a_reservation_first_releases_the_members_lapsed_one_and_spends_its_points(
    till: Till,
) -> None:
    member = await till.member()
    await till.grant(member, 100)
    first = (await till.reserve(member, sofa(), points=100)).json()["txid"]
    await _lapse(till, first)
    with statements_sent(till) as statements:
        second = await till.reserve(member, sofa(), points=100)
    assert second.status_code == 201, second.text
    assert second.json()["redeemed"] == 100  # the lapsed reservation's points, read again
    assert (await till.confirm(first)).json()["code"] == "reservation_lapsed"
    assert len(statements) > 3  # the closer look, the release, the lots read again


async def test_a_confirm_extends_the_purchase_lots_its_capture_leaves_points_in(
    till: Till,
) -> None:
    member = await till.member()
    spent = await till.grant(member, 10, expires_at=days_from_now(20))  # paid first, in full
    kept = await till.grant(member, 100, expires_at=days_from_now(40))
    async with unit_of_work(till.sessions) as session:
        await session.execute(update(Lot).where(Lot.member_id == member).values(source="purchase"))
    confirmed = await till.buy(member, sofa(), points=10)
    async with till.sessions() as session:
        expiry = {
            row.id: row.expires_at for row in await session.execute(select(Lot.id, Lot.expires_at))
        }
    granted = datetime.fromisoformat(spent["expires_at"].replace("Z", "+00:00"))
    assert expiry[spent["lot_id"]] == granted  # the capture left it nothing to extend
    assert expiry[kept["lot_id"]] == datetime.fromisoformat(confirmed["accrual_expires_at"])


# The member's stored spend may not be their spend in this moment's window:
# - their oldest counted purchase has left the window and no review has run yet, so it may
#   count that purchase still;
# - it was counted for a later moment's window (a sweep run ahead of the clock), which may
#   leave out purchases this moment's window holds.
# Either way the till's check of it is no check of the sum.
@pytest.mark.parametrize("moved", ["tier_review_at", "spend_counted_at"])
async def test_a_confirm_whose_members_stored_spend_may_be_another_windows_takes_the_sessions_path(
    till: Till, moved: str
) -> None:
    member = await till.member()
    await till.buy(member, lamp(price=1_000, quantity=1))  # no new tier: none to announce
    moment = {"tier_review_at": -timedelta(seconds=1), "spend_counted_at": timedelta(days=1)}
    async with unit_of_work(till.sessions) as session:
        await session.execute(
            update(Member).where(Member.id == member).values({moved: utcnow() + moment[moved]})
        )
    txid = (await till.reserve(member, lamp(price=1_000, quantity=1))).json()["txid"]
    with statements_by_path(till) as (_every, session_path, on_driver):
        confirmed = await till.http.post(f"/purchases/{txid}/confirm?store_id=berlin-01", json={})
    assert confirmed.status_code == 200, confirmed.text
    assert len(on_driver) == 1  # the read, which found the stored spend in doubt
    assert any(s.startswith("SELECT") and "FOR UPDATE" in s for s in session_path)
    assert any("FROM purchases AS counted" in s for s in session_path)  # the sum, taken
    async with till.sessions() as session:
        stored = await session.get(Member, member)
        assert stored is not None and stored.trailing_spend == 2_000
        assert stored.spend_counted_at is not None and stored.spend_counted_at <= utcnow()


async def test_a_confirm_that_earns_a_new_tier_sets_and_announces_it_in_its_one_write(
    till: Till,
) -> None:
    member = await till.member()
    await till.buy(member, sofa(price=20_000))
    txid = (await till.reserve(member, sofa(price=200_000))).json()["txid"]  # 220 000: silver
    with statements_by_path(till) as (_every, session_path, on_driver):
        confirmed = await till.http.post(f"/purchases/{txid}/confirm", json={})
    assert confirmed.status_code == 200, confirmed.text
    assert session_path == [] and len(on_driver) == 2  # the read and the write, as any confirm
    async with till.sessions() as session:
        stored = await session.get(Member, member)
        assert stored is not None and (stored.tier, stored.trailing_spend) == ("silver", 220_000)
        written = (await session.execute(select(outbox.table.c.data).order_by("seq"))).scalars()
        last_two = [json.loads(data) for data in written][-2:]
    # The new tier's event, then the purchase's: the order the session's path writes them in.
    assert [event["type"] for event in last_two] == ["member.tier_changed", "purchase.confirmed"]
    assert last_two[0]["payload"] == {
        "previous_tier": "base",
        "tier": "silver",
        "trailing_spend": 220_000,
    }
    assert last_two[1]["payload"]["txid"] == txid
