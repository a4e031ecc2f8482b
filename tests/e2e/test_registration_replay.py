"""A registration retried after the gateway's Redis lost its records replays its first 201."""

import uuid

import httpx
import pytest
from redis.asyncio import Redis

from kit.stack import Platform

pytestmark = pytest.mark.e2e


async def forget_gateway_idempotency_records(platform: Platform) -> int:
    """What a Redis restart without data does to the gateway's idempotency records."""
    redis = Redis.from_url(platform.env["GATEWAY_REDIS_URL"])
    try:
        keys = [key async for key in redis.scan_iter(match="gw:idem:*")]
        return int(await redis.delete(*keys)) if keys else 0
    finally:
        await redis.aclose()


async def test_a_retry_after_redis_lost_its_data_gets_the_first_201(platform: Platform) -> None:
    body = {"email": f"rita-{uuid.uuid4().hex[:8]}@example.com", "consents": {"email": True}}
    headers = {"Authorization": f"Bearer {platform.pos_key}", "Idempotency-Key": "till-7-reg"}
    async with httpx.AsyncClient(base_url=platform.gateway) as client:
        first = await client.post("/v1/customers", json=body, headers=headers)
        assert first.status_code == 201, first.text
        assert await forget_gateway_idempotency_records(platform) >= 1
        again = await client.post("/v1/customers", json=body, headers=headers)
        other_caller = platform.create_key("pos")
        elsewhere = await client.post(
            "/v1/customers",
            json=body,
            headers={**headers, "Authorization": f"Bearer {other_caller}"},
        )
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    # The key is the caller's own: another key using it registers nothing and replays nothing.
    assert elsewhere.status_code == 409
    assert elsewhere.json()["code"] == "member_exists"
