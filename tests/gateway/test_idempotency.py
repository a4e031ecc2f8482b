"""Idempotency-Key on writes: the first answer is kept in Redis and replayed for 24 hours."""

import asyncio

from redis.asyncio import Redis

from tests.gateway.conftest import CUSTOMER, Gateway, admin, bearer

VIEW = {"type": "product.viewed", "sku": "SKU-1"}


async def post(gateway: Gateway, key: str, body: object, idempotency_key: str) -> object:
    headers = bearer(key, **{"Idempotency-Key": idempotency_key})
    return await gateway.client.post("/v1/events", json=body, headers=headers)


async def test_a_retry_gets_the_first_answer_and_writes_nothing_more(gateway: Gateway) -> None:
    key = await gateway.key("app", customer_id=CUSTOMER)
    headers = bearer(key, **{"Idempotency-Key": "retry-1"})
    first = await gateway.client.post("/v1/events", json=VIEW, headers=headers)
    again = await gateway.client.post("/v1/events", json=VIEW, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == "application/json"
    assert "idempotent-replayed" not in first.headers
    assert await gateway.outbox_rows() == 1


async def test_the_same_key_with_another_body_is_a_conflict(gateway: Gateway) -> None:
    key = await gateway.key("app", customer_id=CUSTOMER)
    headers = bearer(key, **{"Idempotency-Key": "reused"})
    await gateway.client.post("/v1/events", json=VIEW, headers=headers)
    other = {**VIEW, "sku": "SKU-2"}
    answer = await gateway.client.post("/v1/events", json=other, headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (409, "idempotency_key_reused")
    assert answer.headers["content-type"] == "application/problem+json"
    assert await gateway.outbox_rows() == 1


async def test_concurrent_duplicates_write_once(gateway: Gateway) -> None:
    key = await gateway.key("app", customer_id=CUSTOMER)
    headers = bearer(key, **{"Idempotency-Key": "burst"})
    answers = await asyncio.gather(
        *(gateway.client.post("/v1/events", json=VIEW, headers=headers) for _ in range(8))
    )
    accepted = [a for a in answers if a.status_code == 202]
    in_progress = [a for a in answers if a.status_code == 409]
    assert len(accepted) + len(in_progress) == 8
    assert all(a.json()["code"] == "idempotency_key_in_progress" for a in in_progress)
    assert len({a.json()["event_id"] for a in accepted}) == 1
    assert await gateway.outbox_rows() == 1


async def test_keys_are_per_api_key_and_expire_after_a_day(gateway: Gateway) -> None:
    first_key = await gateway.key("app", customer_id=CUSTOMER)
    second_key = await gateway.key("app", customer_id=CUSTOMER)
    for key in (first_key, second_key):
        answer = await gateway.client.post(
            "/v1/events", json=VIEW, headers=bearer(key, **{"Idempotency-Key": "same"})
        )
        assert answer.status_code == 202
        assert "idempotent-replayed" not in answer.headers
    assert await gateway.outbox_rows() == 2
    redis = Redis.from_url(gateway.settings.redis_url)
    try:
        ttls = [await redis.ttl(name) async for name in redis.scan_iter("gw:idem:*")]
    finally:
        await redis.aclose()
    assert ttls and all(23 * 3600 < ttl <= 24 * 3600 for ttl in ttls)


async def test_refusals_that_mean_not_processed_are_not_kept(gateway: Gateway) -> None:
    headers = bearer("rp_nope_nope", **{"Idempotency-Key": "unauth"})
    for _ in range(2):
        answer = await gateway.client.post("/v1/events", json=VIEW, headers=headers)
        assert answer.status_code == 401
        assert "idempotent-replayed" not in answer.headers


async def test_a_revoked_key_gets_no_replay(gateway: Gateway) -> None:
    key = await gateway.key("app", customer_id=CUSTOMER)
    headers = bearer(key, **{"Idempotency-Key": "then-revoked"})
    assert (await gateway.client.post("/v1/events", json=VIEW, headers=headers)).status_code == 202
    revoked = await admin(gateway.settings, "revoke-key", "--prefix", key.split("_")[1])
    assert revoked.returncode == 0
    answer = await gateway.client.post("/v1/events", json=VIEW, headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (401, "unauthorized")


async def test_a_malformed_idempotency_key_is_refused(gateway: Gateway) -> None:
    key = await gateway.key("app", customer_id=CUSTOMER)
    answer = await gateway.client.post(
        "/v1/events", json=VIEW, headers=bearer(key, **{"Idempotency-Key": "x" * 300})
    )
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid_idempotency_key")
