"""The lists of chains, versions and campaigns: paged with a cursor, each row exactly once."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from kit.cursors import encode_cursor, encode_key_cursor
from kit.stack import Infra
from kit.testing import unique
from tests.orchestrator.conftest import Orchestrator, serving_segments
from tests.orchestrator.test_campaigns_api import BODY
from tests.orchestrator.test_chains_api import chain_body


@pytest.fixture
async def segments_url(infra: Infra) -> AsyncIterator[str]:
    """The real segments API: a campaign's segment must exist there."""
    async with serving_segments(infra) as url:
        yield url


async def every_page(
    api: httpx.AsyncClient, path: str, limit: int, between: list[dict[str, Any]] | None = None
) -> list[list[dict[str, Any]]]:
    """Each page of `path` in turn; before the second page, each chain of `between` is added."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        answer = await api.get(path, params=params)
        assert answer.status_code == 200, answer.text
        pages.append(answer.json()["items"])
        cursor = answer.json()["next_cursor"]
        for chain in (between or []) if len(pages) == 1 else []:
            assert (await api.post("/chains", json=chain)).status_code == 201
        if cursor is None:
            return pages


async def test_chains_are_paged_by_id_each_once_while_chains_are_added(
    orchestrator: Orchestrator,
) -> None:
    api = orchestrator.api
    ids = sorted(unique("m_") for _ in range(4))
    for chain_id in ids:
        assert (await api.post("/chains", json=chain_body(chain_id))).status_code == 201
    before = ["a_added", "z_added"]  # one sorts before every page, one after
    pages = await every_page(api, "/chains", 2, [chain_body(c) for c in before])
    seen = [chain["id"] for page in pages for chain in page]
    assert all(len(page) <= 2 for page in pages)
    assert seen == sorted(set(seen)), "by id, none twice"
    assert set(seen) >= {"welcome", *ids, "z_added"}
    assert "a_added" not in seen, "a chain added behind the cursor waits for the next listing"
    assert pages[-1], "the last page is not an empty one after a full page"


async def test_a_chains_versions_are_paged_oldest_first(orchestrator: Orchestrator) -> None:
    api = orchestrator.api
    await orchestrator.notifier.install("first", "second", "third")
    chain_id = unique("versions_")
    assert (await api.post("/chains", json=chain_body(chain_id))).status_code == 201
    for template in ("first", "second", "third"):
        edited = await api.put(f"/chains/{chain_id}", json=chain_body(chain_id, template))
        assert edited.status_code == 200, edited.text
        assert (await api.post(f"/chains/{chain_id}/publish")).status_code == 200
    pages = await every_page(api, f"/chains/{chain_id}/versions", 2)
    assert [[v["version"] for v in page] for page in pages] == [[1, 2], [3]]
    missing = await api.get("/chains/no_such_chain/versions")
    assert (missing.status_code, missing.json()["code"]) == (404, "chain_not_found")


async def test_campaigns_are_paged_newest_first(orchestrator: Orchestrator) -> None:
    api = orchestrator.api
    made = [(await api.post("/campaigns", json=BODY)).json()["id"] for _ in range(3)]
    pages = await every_page(api, "/campaigns", 2)
    assert [[c["id"] for c in page] for page in pages] == [made[:0:-1], made[:1]]


async def test_a_cursor_these_lists_did_not_give_is_a_400_problem(
    orchestrator: Orchestrator,
) -> None:
    forged = {
        "/chains": [encode_key_cursor("versions", 1), "!!", encode_cursor("chains", "a\x00")],
        "/chains/welcome/versions": [
            encode_key_cursor("chains", "welcome"),
            encode_key_cursor("versions", "one"),
            encode_key_cursor("versions", 2**31),
            encode_key_cursor("versions", -1),
        ],
        "/campaigns": [encode_key_cursor("chains", "welcome"), encode_cursor("2026-12-01", "x")],
    }
    for path, cursors in forged.items():
        for cursor in cursors:
            answer = await orchestrator.api.get(path, params={"cursor": cursor})
            assert answer.headers["content-type"] == "application/problem+json", path
            assert (answer.status_code, answer.json()["code"]) == (400, "invalid_cursor"), path
