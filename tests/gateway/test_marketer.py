"""The marketer's routes through the real gateway in front of the running platform."""

import uuid
from typing import Any

import httpx
import pytest

from kit.stack import Platform

pytestmark = pytest.mark.e2e


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def customer(gateway: httpx.AsyncClient, platform: Platform, **extra: Any) -> str:
    body = {"email": f"m-{uuid.uuid4().hex[:8]}@example.com", "name": "Dana", **extra}
    answer = await gateway.post("/v1/customers", json=body, headers=bearer(platform.pos_key))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def test_a_marketer_pages_a_chains_enrollments_with_counts(platform: Platform) -> None:
    marketer = bearer(platform.create_key("marketer"))
    chain_id = f"winback_{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=20) as gateway:
        copied = await gateway.post(
            "/v1/chains/templates/reactivation/copy", json={"id": chain_id}, headers=marketer
        )
        assert copied.status_code == 201, copied.text
        published = await gateway.post(f"/v1/chains/{chain_id}/publish", headers=marketer)
        assert published.status_code == 200, published.text
        enrolled = [await customer(gateway, platform) for _ in range(3)]
        for member in enrolled:
            answer = await gateway.post(
                f"/v1/chains/{chain_id}/enrollments", json={"customer_id": member}, headers=marketer
            )
            assert answer.status_code == 201, answer.text

        path = f"/v1/chains/{chain_id}/enrollments"
        first = await gateway.get(f"{path}?limit=2", headers=marketer)
        assert first.status_code == 200, first.text
        page = first.json()
        assert (page["counts"]["total"], page["counts"]["by_version"]) == (3, {"1": 3})
        assert [i["customer_id"] for i in page["items"]] == enrolled[:0:-1]
        rest = await gateway.get(f"{path}?limit=2&cursor={page['next_cursor']}", headers=marketer)
        assert [i["customer_id"] for i in rest.json()["items"]] == enrolled[:1]
        assert rest.json()["next_cursor"] is None

        too_many = await gateway.get(f"{path}?limit=201", headers=marketer)
        assert too_many.status_code == 422
        forged = await gateway.get(f"{path}?cursor=bm9uc2Vuc2U", headers=marketer)
        assert (forged.status_code, forged.json()["code"]) == (422, "invalid_cursor")
        unknown = await gateway.get("/v1/chains/no_such_chain/enrollments", headers=marketer)
        assert (unknown.status_code, unknown.json()["code"]) == (404, "chain_not_found")
        till = await gateway.get(path, headers=bearer(platform.pos_key))
        assert till.status_code == 403
