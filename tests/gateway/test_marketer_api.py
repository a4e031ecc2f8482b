"""The marketer API through the running gateway and orchestrator, with a marketer key."""

import uuid
from typing import Any

import httpx
import pytest

from kit.stack import Platform

pytestmark = pytest.mark.e2e


def winback(chain_id: str) -> dict[str, Any]:
    return {
        "id": chain_id,
        "name": "Win back",
        "trigger": {"kind": "segment_entered", "segments": ["recency.cooling"]},
        "steps": [
            {"kind": "grant_bonus", "id": "gift", "amount": 300, "lifetime_days": 14},
            {"kind": "send", "id": "offer", "template": "reactivation_offer"},
            {"kind": "wait", "id": "pause", "wait": {"type": "duration", "duration": "P3D"}},
        ],
        "exits": {"max_duration": "P406D"},
    }


@pytest.fixture(scope="module")
def marketer(platform: Platform) -> httpx.AsyncClient:
    key = platform.create_key("marketer")
    return httpx.AsyncClient(
        base_url=platform.gateway, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


async def test_a_chain_is_written_and_read_in_the_typed_shape(marketer: httpx.AsyncClient) -> None:
    chain_id = f"winback-{uuid.uuid4().hex[:8]}"
    created = await marketer.post("/v1/chains", json=winback(chain_id))
    assert created.status_code == 201, created.text
    draft = created.json()["draft"]
    assert draft["exits"]["max_duration"] == "P406D"
    assert draft["steps"][2]["wait"]["duration"] == "P3D"
    published = await marketer.post(f"/v1/chains/{chain_id}/publish")
    assert published.json()["version"] == 1
    again = await marketer.get(f"/v1/chains/{chain_id}/versions/1")
    assert again.json()["definition"]["steps"] == draft["steps"]


async def test_a_published_chain_has_a_step_funnel_in_its_order(
    marketer: httpx.AsyncClient,
) -> None:
    chain_id = f"funnel-{uuid.uuid4().hex[:8]}"
    await marketer.post("/v1/chains", json=winback(chain_id))
    await marketer.post(f"/v1/chains/{chain_id}/publish")
    answer = await marketer.get(f"/v1/analytics/chains/{chain_id}/steps", params={"days": 7})
    assert answer.status_code == 200, answer.text
    (version,) = answer.json()["versions"]
    assert [s["step"] for s in version["steps"]] == ["gift", "offer", "pause"]
    assert version["steps"][0]["reached"] == {"treated": 0, "holdout": 0}
    missing = await marketer.get("/v1/analytics/chains/no-such-chain/steps")
    assert (missing.status_code, missing.json()["code"]) == (404, "chain_not_found")


async def test_a_version_beyond_32_bits_is_invalid_not_a_server_error(
    marketer: httpx.AsyncClient,
) -> None:
    for number in (2**31, 2**63, 2**64):
        answer = await marketer.get(f"/v1/chains/welcome/versions/{number}")
        assert (answer.status_code, answer.json()["code"]) == (422, "validation_error")


async def test_a_campaign_over_an_unknown_segment_is_refused(marketer: httpx.AsyncClient) -> None:
    body = {
        "name": "Nobody",
        "segment": "no.such.segment",
        "grant": {"amount": 5, "lifetime_days": 1},
    }
    answer = await marketer.post("/v1/campaigns", json=body)
    assert (answer.status_code, answer.json()["code"]) == (422, "unknown_segment")


async def test_a_pos_key_cannot_write_chains(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway) as client:
        headers = {"Authorization": f"Bearer {platform.pos_key}"}
        answer = await client.post("/v1/chains", json=winback("pos-chain"), headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (403, "missing_scope")


async def test_every_paged_list_refuses_a_cursor_it_did_not_give(
    marketer: httpx.AsyncClient,
) -> None:
    """One family per service behind the gateway; a forged cursor is 400 `invalid_cursor`."""
    rule = {"attribute": "city", "op": "eq", "value": "Lyon"}
    body = {"name": f"Paged {uuid.uuid4().hex[:8]}", "definition": rule}
    created = await marketer.post("/v1/segments", json=body)
    assert created.status_code == 201, created.text
    lists = [
        "/v1/templates",
        f"/v1/segments/{created.json()['id']}/members",
        "/v1/chains/welcome/enrollments",
        f"/v1/customers/{uuid.uuid4()}/enrollments",
        f"/v1/customers/{uuid.uuid4()}/messages",
        "/v1/chains",
        "/v1/chains/welcome/versions",
        "/v1/campaigns",
        "/v1/segments",
    ]
    for path in lists:
        for forged in ("bm9uc2Vuc2U", "not-a-cursor"):
            answer = await marketer.get(path, params={"cursor": forged})
            assert (answer.status_code, answer.json()["code"]) == (400, "invalid_cursor"), path


async def test_chains_are_paged_through_the_gateway_each_once(
    marketer: httpx.AsyncClient,
) -> None:
    """On the shared platform other tests add chains meanwhile: each row still comes once."""
    mine = sorted(f"paged-{uuid.uuid4().hex[:8]}" for _ in range(3))
    for chain_id in mine:
        assert (await marketer.post("/v1/chains", json=winback(chain_id))).status_code == 201
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await marketer.get("/v1/chains", params=params)).json()
        assert len(page["items"]) <= 2
        seen += [chain["id"] for chain in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)), "no chain twice"
    assert set(mine) <= set(seen)
    for limit in (0, 201):
        refused = await marketer.get("/v1/chains", params={"limit": limit})
        assert (refused.status_code, refused.json()["code"]) == (422, "validation_error")
