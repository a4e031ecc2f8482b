"""A confirm's round trips to PostgreSQL: each statement it sends, counted."""

from typing import Any

import pytest
from sqlalchemy import event

from tests.loyalty.till import Till, sofa


# Without its store the purchase is found by its txid alone, in the same locking statement.
@pytest.mark.parametrize("store", ["?store_id=berlin-01", ""])
async def test_a_confirm_reads_its_capture_and_the_lots_it_names_in_one_statement(
    till: Till, store: str
) -> None:
    member = await till.member()
    await till.grant(member, 1_000)
    txid = (await till.reserve(member, sofa(), points=100)).json()["txid"]
    engine = till.sessions.kw["bind"].sync_engine
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        confirmed = await till.http.post(f"/purchases/{txid}/confirm{store}", json={})
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert confirmed.status_code == 200, confirmed.text
    reads_of_lots = [s for s in statements if s.startswith("SELECT") and "FROM lots" in s]
    assert reads_of_lots == []  # the lots' origins come with the allocations
    assert len(statements) == 10  # the operation and its journal entries in one statement
