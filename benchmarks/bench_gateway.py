"""The gateway's own overhead: one read straight to the loyalty service and through the gateway.

Both paths run in the same process against the same running platform, interleaved, so load on
the machine affects them alike. Through the gateway the request is authenticated (a database
read), rate limited (one Redis script) and forwarded; the difference of the medians is the
gateway's cost. Keys are used in turn so the per-key rate limit never refuses a sample.
"""

import asyncio
import uuid

import httpx
from harness import BenchEnv, Stopwatch, latency_summary

SAMPLES = 400
WARMUP = 30
# The default limit is 50/s with a burst of 100 per key: enough keys that none runs dry.
KEYS = 6


async def timed(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> float:
    with Stopwatch() as watch:
        answer = await client.get(url, headers=headers)
    assert answer.status_code == 200, answer.text
    return watch.seconds


async def run(env: BenchEnv) -> dict[str, object]:
    platform = await env.platform()
    keys = await asyncio.gather(
        *(asyncio.to_thread(platform.create_key, "pos") for _ in range(KEYS))
    )
    async with httpx.AsyncClient(timeout=10) as client:
        body = {"email": f"bench-{uuid.uuid4().hex[:8]}@example.com", "name": "Bench"}
        created = await client.post(
            f"{platform.gateway}/v1/customers",
            json=body,
            headers={"Authorization": f"Bearer {keys[0]}"},
        )
        customer_id = created.json()["id"]
        direct_url = f"{platform.service('loyalty')}/members/{customer_id}"
        gateway_url = f"{platform.gateway}/v1/customers/{customer_id}"
        direct: list[float] = []
        through: list[float] = []
        for i in range(WARMUP + SAMPLES):
            auth = {"Authorization": f"Bearer {keys[i % KEYS]}"}
            straight = await timed(client, direct_url, {})
            gated = await timed(client, gateway_url, auth)
            if i >= WARMUP:
                direct.append(straight)
                through.append(gated)
    direct_summary, gateway_summary = latency_summary(direct), latency_summary(through)
    return {
        "request": "GET a customer: loyalty /members/{id} vs gateway /v1/customers/{id}",
        "direct": direct_summary,
        "through_gateway": gateway_summary,
        "overhead_p50_ms": round(gateway_summary["p50_ms"] - direct_summary["p50_ms"], 3),
        "overhead_p99_ms": round(gateway_summary["p99_ms"] - direct_summary["p99_ms"], 3),
        "ratio_p50": round(gateway_summary["p50_ms"] / direct_summary["p50_ms"], 2),
    }
