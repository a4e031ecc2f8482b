"""Registration: a retry under the same Idempotency-Key replays its first 201 from loyalty."""

import asyncio
import uuid
from typing import Any

from tests.loyalty.till import Till, events


def newcomer() -> dict[str, Any]:
    return {"email": f"n-{uuid.uuid4().hex[:10]}@example.com", "consents": {"email": True}}


async def register(till: Till, body: dict[str, Any], key: str | None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return await till.http.post("/members", json=body, headers=headers)


async def test_a_retried_registration_replays_its_first_answer(any_till: Till) -> None:
    body = newcomer()
    first = await register(any_till, body, "reg-1")
    again = await register(any_till, body, "reg-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert len(await events(any_till, "member.registered")) == 1
    without_key = await register(any_till, body, None)
    assert (without_key.status_code, without_key.json()["code"]) == (409, "member_exists")


async def test_the_key_with_another_body_is_a_conflict(any_till: Till) -> None:
    assert (await register(any_till, newcomer(), "reg-2")).status_code == 201
    other = await register(any_till, newcomer(), "reg-2")
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")


async def test_concurrent_retries_register_once_and_answer_alike(till: Till) -> None:
    body = newcomer()
    answers = await asyncio.gather(*(register(till, body, "reg-3") for _ in range(4)))
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(await events(till, "member.registered")) == 1
