"""The segments API in process, on the real PostgreSQL, NATS and Redis."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from kit.cursors import encode_key_cursor
from kit.db import SessionFactory
from kit.stack import Infra
from kit.testing import app_client
from segments.app import create_app
from segments.settings import SegmentsSettings
from tests.segments.conftest import changes, deliver, outbox_events, purchase, registered

RECENT_BUYERS = {"aggregate": "purchase_count", "window": {"days": 30}, "op": "gte", "value": 1}


@pytest.fixture
async def client(
    infra: Infra, postgres_url: str, sessions: SessionFactory, event_namespace: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = SegmentsSettings(
        database_url=postgres_url, event_namespace=event_namespace, **infra.servers
    )
    async with app_client(create_app(settings)) as http:
        yield http


async def customers(sessions: SessionFactory, buyers: int, others: int) -> list[str]:
    now = datetime.now(UTC)
    ids = []
    for index in range(buyers + others):
        member = registered(city="Berlin", at=now - timedelta(days=60))
        assert member.customer_id
        ids.append(member.customer_id)
        bought = [purchase(member.customer_id, now - timedelta(days=2))] if index < buyers else []
        await deliver(sessions, member, *bought)
    return ids


async def test_a_segment_is_created_listed_paged_exported_and_deleted(
    client: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    ids = await customers(sessions, buyers=5, others=2)
    buyers = sorted(ids[:5])

    created = await client.post(
        "/segments", json={"name": "Recent buyers", "definition": RECENT_BUYERS}
    )
    assert created.status_code == 201, created.text
    segment = created.json()
    assert (segment["version"], segment["member_count"], segment["kind"]) == (1, 5, "rule")
    entered = [
        e for e in await outbox_events(sessions) if e["payload"]["segment_id"] == segment["id"]
    ]
    assert sorted(e["customer_id"] for e in entered) == buyers
    assert {e["payload"]["segment_version"] for e in entered} == {1}

    first = (await client.get(f"/segments/{segment['id']}/members", params={"limit": 3})).json()
    rest = await client.get(
        f"/segments/{segment['id']}/members", params={"limit": 3, "cursor": first["next_cursor"]}
    )
    assert first["members"] + rest.json()["members"] == buyers
    assert rest.json()["next_cursor"] is None
    for forged in (buyers[0], "not a cursor"):  # a member's id is not a cursor either
        refused = await client.get(f"/segments/{segment['id']}/members", params={"cursor": forged})
        assert (refused.status_code, refused.json()["code"]) == (400, "invalid_cursor")

    export = await client.get(f"/segments/{segment['id']}/members/export")
    assert export.headers["content-type"].startswith("text/csv")
    assert export.text.splitlines() == ["customer_id", *buyers]

    mine = (await client.get(f"/customers/{buyers[0]}/segments")).json()
    assert {"segment_id": segment["id"], "version": 1, "name": "Recent buyers"} in mine
    assert {s["segment_id"] for s in mine} >= {"recency.active"}

    listed = (await client.get("/segments", params={"kind": "rule"})).json()["items"]
    assert [s["id"] for s in listed] == [segment["id"]]

    deleted = await client.delete(f"/segments/{segment['id']}")
    assert deleted.status_code == 204
    assert (await client.get(f"/segments/{segment['id']}")).json()["code"] == "segment_not_found"
    exits = [
        e
        for e in await outbox_events(sessions)
        if e["payload"]["segment_id"] == segment["id"] and e["type"] == "segment.exited"
    ]
    assert len(exits) == 5


async def test_a_new_version_emits_events_only_for_real_changes(
    client: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    ids = await customers(sessions, buyers=2, others=2)
    body = {"name": "Berliners", "definition": {"attribute": "city", "op": "eq", "value": "Berlin"}}
    segment = (await client.post("/segments", json=body)).json()
    before = len(await outbox_events(sessions))

    body["definition"] = RECENT_BUYERS
    updated = await client.put(f"/segments/{segment['id']}", json=body)

    assert updated.json()["version"] == 2
    after = (await outbox_events(sessions))[before:]
    assert sorted(changes(after)) == [("segment.exited", segment["id"])] * 2
    assert sorted(e["customer_id"] for e in after) == sorted(ids[2:])
    assert {e["payload"]["segment_version"] for e in after} == {2}


async def test_preview_counts_and_samples_without_saving(
    client: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    ids = await customers(sessions, buyers=3, others=1)
    preview = await client.post(
        "/segments/preview", json={"definition": RECENT_BUYERS, "sample_size": 2}
    )
    assert preview.json() == {"count": 3, "sample": sorted(ids[:3])[:2]}
    assert (await client.get("/segments", params={"kind": "rule"})).json()["items"] == []


async def test_bad_rules_are_422_with_path_and_reason(client: httpx.AsyncClient) -> None:
    body = {
        "name": "x",
        "definition": {
            "and": [{"segment": "nope"}, {"attribute": "city", "op": "gt", "value": "B"}]
        },
    }
    response = await client.post("/segments", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_rule"
    assert response.json()["errors"] == [
        {"path": "$.and[1].op", "reason": "expected one of eq, ne, in, not_in"}
    ]

    unknown = await client.post("/segments/preview", json={"definition": {"segment": "nope"}})
    assert unknown.json()["errors"] == [{"path": "$.segment", "reason": "no segment with this id"}]


async def test_segments_cannot_depend_on_themselves_or_be_deleted_while_used(
    client: httpx.AsyncClient,
) -> None:
    base = (await client.post("/segments", json={"name": "a", "definition": RECENT_BUYERS})).json()
    user_body = {"name": "b", "definition": {"segment": base["id"]}}
    user = (await client.post("/segments", json=user_body)).json()

    cycle = await client.put(
        f"/segments/{base['id']}", json={"name": "a", "definition": {"segment": user["id"]}}
    )
    in_use = await client.delete(f"/segments/{base['id']}")
    builtin = await client.delete("/segments/recency.active")

    assert (cycle.status_code, cycle.json()["errors"][0]["path"]) == (422, "$.segment")
    assert (in_use.status_code, in_use.json()["code"]) == (409, "segment_in_use")
    assert (builtin.status_code, builtin.json()["code"]) == (409, "builtin_segment_read_only")


async def test_the_rfm_distribution_lists_every_named_segment(client: httpx.AsyncClient) -> None:
    response = await client.get("/segments/rfm/distribution")
    assert response.status_code == 200
    body = response.json()
    assert body["window_days"] == 365
    assert len(body["segments"]) == 11 and set(body["segments"].values()) == {0}
    missing = await client.get("/segments/nope/members")
    assert (missing.status_code, missing.json()["code"]) == (404, "segment_not_found")


async def every_segment(
    client: httpx.AsyncClient, limit: int, kind: str | None = None, added: str | None = None
) -> list[list[str]]:
    """The ids of each page in turn; after the first, a rule segment named `added` is made."""
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": limit, **({"kind": kind} if kind else {})}
        if cursor:
            params["cursor"] = cursor
        answer = await client.get("/segments", params=params)
        assert answer.status_code == 200, answer.text
        pages.append([s["id"] for s in answer.json()["items"]])
        cursor = answer.json()["next_cursor"]
        if added and len(pages) == 1:
            body = {"name": added, "definition": RECENT_BUYERS}
            assert (await client.post("/segments", json=body)).status_code == 201
        if cursor is None:
            return pages


async def test_segments_are_listed_a_page_at_a_time_each_once(client: httpx.AsyncClient) -> None:
    rules = []
    for name in ("First", "Second", "Third"):
        created = await client.post("/segments", json={"name": name, "definition": RECENT_BUYERS})
        rules.append(created.json()["id"])
    assert await every_segment(client, 2, "rule") == [rules[:2], rules[2:]]
    everything = await every_segment(client, 3, added="Fourth")
    seen = [segment for page in everything for segment in page]
    assert all(len(page) <= 3 for page in everything)
    assert len(seen) == len(set(seen)), "no segment twice"
    assert seen[-4:-1] == rules, "rules after the built-ins, oldest first"
    assert {"recency.active", "recency.cooling"} <= set(seen)
    built_in = [
        *(await every_segment(client, 200, "recency"))[0],
        *(await every_segment(client, 200, "rfm"))[0],
    ]
    assert len(seen) == len(built_in) + 4, "the built-ins, the three rules, the one made meanwhile"


async def test_a_segments_cursor_it_did_not_give_is_a_400_problem(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/segments", json={"name": "One", "definition": RECENT_BUYERS})
    members = encode_key_cursor("member", "someone")
    forged = [
        members,
        encode_key_cursor("segments", "rule", "yesterday", created.json()["id"]),
        encode_key_cursor("segments", "rule", "2026-12-01T00:00:00", "x"),  # no offset
        encode_key_cursor("segments", "rule"),
        "%%%",
    ]
    for cursor in forged:
        answer = await client.get("/segments", params={"cursor": cursor})
        assert answer.headers["content-type"] == "application/problem+json", cursor
        assert (answer.status_code, answer.json()["code"]) == (400, "invalid_cursor"), cursor
    listed = await client.get(f"/segments/{created.json()['id']}/members")
    listed_segments = await client.get("/segments", params={"limit": 1})
    refused = await client.get(
        f"/segments/{created.json()['id']}/members",
        params={"cursor": listed_segments.json()["next_cursor"]},
    )
    assert listed.status_code == 200
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_cursor")
    unknown_kind = await client.get("/segments", params={"kind": "vip"})
    assert unknown_kind.status_code == 422
