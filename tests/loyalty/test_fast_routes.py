"""The till's usual requests, served by the fast routes (loyalty.fast_routes), get the answers
the routes give: every question asked both ways, from the same state, answers compared."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.fast_routes import plain, routed
from tests.loyalty.till import Till, lamp, sofa

Asked = Callable[[Till, str], Awaitable[list[httpx.Response]]]


async def _both_ways(till: Till, questions: Asked, fast: bool) -> list[tuple[int, Any, str]]:
    """The answers to ``questions`` for a new member with 1 000 points, the fast routes on or
    off: status, body (ids and clock readings named) and content type of each."""
    till.app.state.fast_routes = fast
    member = await till.member()
    await till.grant(member, 1_000)
    answers = await questions(till, member)
    till.app.state.fast_routes = True
    names = {member: "<member>"}
    for answer in answers:
        if answer.headers.get("content-type", "").endswith("json"):
            body = answer.json()
            if isinstance(body, dict) and isinstance(body.get("txid"), str):
                names.setdefault(body["txid"], f"<txid {len(names)}>")
    return [
        (a.status_code, plain(a.json(), names), a.headers.get("content-type", "")) for a in answers
    ]


async def _usual(till: Till, member: str) -> list[httpx.Response]:
    quote = await till.http.post("/purchases/calculate", json=till.receipt(member, sofa(), lamp()))
    reserved = await till.reserve(member, sofa(), lamp(), points=100)
    assert reserved.status_code == 201, reserved.text
    txid = reserved.json()["txid"]
    confirmed = await till.confirm(txid)
    replayed = await till.confirm(txid)
    at_store = await till.reserve(member, sofa(), points=10)
    store_txid = at_store.json()["txid"]
    named = await till.http.post(f"/purchases/{store_txid}/confirm?store_id=berlin-01", json={})
    return [quote, reserved, confirmed, replayed, at_store, named]


async def _refused(till: Till, member: str) -> list[httpx.Response]:
    too_many = await till.reserve(member, sofa(), points=5_000)
    nobody = await till.reserve(f"nobody-{uuid.uuid4().hex[:6]}", sofa())
    unknown = await till.confirm(f"t-{uuid.uuid4().hex[:6]}")
    reused = uuid.uuid4().hex
    first = await till.reserve(member, sofa(), txid=reused, points=10)
    changed = await till.reserve(member, lamp(), txid=reused, points=10)
    return [too_many, nobody, unknown, first, changed]


async def _unusual(till: Till, member: str) -> list[httpx.Response]:
    """Requests the fast routes leave to the routes."""
    reserve = {**till.receipt(member, sofa()), "txid": uuid.uuid4().hex, "points": 10}
    post = till.http.post
    asked = [
        await post(
            "/purchases", content=b"{not json", headers={"content-type": "application/json"}
        ),
        await post("/purchases", json={**reserve, "lines": "sofa"}),
        await post("/purchases", content=b"[]", headers={"content-type": "application/json"}),
        await post("/purchases", data={"txid": "form"}),
        await post("/purchases/calculate", json={"customer_id": member}),
    ]
    reserved = await post("/purchases", json=reserve)
    txid = reserved.json()["txid"]
    asked += [
        reserved,
        await post(f"/purchases/{txid}/confirm?store_id=", json={}),
        await post(f"/purchases/{txid}/confirm?store_id={'s' * 65}", json={}),
        await post(f"/purchases/{txid}/confirm", json={"unknown": 1}),
        await post(
            f"/purchases/{txid}/confirm",
            content=b"null",
            headers={"content-type": "application/json"},
        ),
        await post(f"/purchases/{txid}/confirm?store_id=a&store_id=b", json={}),
        await post(f"/purchases/{txid}/confirm?also=1"),
    ]
    keyed = {**reserve, "txid": uuid.uuid4().hex}
    asked.append(
        await post("/purchases", json=keyed, headers={"Idempotency-Key": uuid.uuid4().hex})
    )
    return asked


@pytest.mark.parametrize(
    ("questions", "taken"),
    [(_usual, 6), (_refused, 5), (_unusual, 1)],
    ids=["usual", "refused", "left-to-the-route"],
)
async def test_the_fast_routes_answer_as_the_routes_do(
    till: Till, monkeypatch: pytest.MonkeyPatch, questions: Asked, taken: int
) -> None:
    with routed(monkeypatch) as solved:
        by_route = await _both_ways(till, questions, fast=False)
    through_routes = len(solved)
    with routed(monkeypatch) as solved:
        fast = await _both_ways(till, questions, fast=True)
    assert fast == by_route
    assert len(solved) == through_routes - taken  # the rest took the routes' own way
