"""Property-based fuzzing of the public OpenAPI (schemathesis), through real services.

The gateway runs in this process under uvicorn, with a generous rate limit so the examples
reach the services, in front of the running platform's real services. Bounded: a fixed number
of examples per operation, and the test's own timeout.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from gateway import keys
from gateway.app import create_app
from kit.db import create_engine, session_factory, unit_of_work
from kit.migrations import upgrade_async
from kit.stack import Infra, Platform
from kit.testing import unique
from tests.fuzzing import fuzz, serving
from tests.gateway.conftest import settings_for

pytestmark = pytest.mark.e2e
EXAMPLES_PER_OPERATION = 30


@pytest.fixture
async def fuzz_target(infra: Infra, platform: Platform) -> AsyncIterator[tuple[str, str]]:
    database = await infra.create_database(unique("fuzz_"))
    await upgrade_async("gateway:migrations", database)
    engine = create_engine(database)
    async with unit_of_work(session_factory(engine)) as session:
        issued = await keys.create_key(session, "fuzz", ["pos", "marketer", "admin"])
    await engine.dispose()
    gateway_settings = settings_for(
        infra,
        database,
        rate_limit_per_second=10_000.0,
        rate_limit_burst=10_000,
        costly_rate_limit_per_second=10_000.0,
        costly_rate_limit_burst=10_000,
        **{
            f"{name}_url": platform.service(name)
            for name in ("loyalty", "segments", "notifier", "orchestrator")
        },
    )
    with serving(create_app(gateway_settings)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            headers = {"Authorization": f"Bearer {issued.key}"}
            kept = await _shared_state(client, headers)
            try:
                yield url, issued.key
            finally:
                await _restore(client, headers, kept)


async def _shared_state(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    """What the fuzzer may change on the session's shared platform: the global control
    group and the programme's policy (a share left at 0.4 refuses later tests' enrollments)."""
    control = (await client.get("/v1/control-group", headers=headers)).json()
    policy = (await client.get("/v1/policies/program", headers=headers)).json()
    return {"share": control["share"], "policy": policy}


async def _restore(
    client: httpx.AsyncClient, headers: dict[str, str], kept: dict[str, Any]
) -> None:
    share = await client.put("/v1/control-group", json={"share": kept["share"]}, headers=headers)
    assert share.status_code == 200, share.text
    policy = {k: v for k, v in kept["policy"].items() if k != "scope"}
    restored = await client.put("/v1/policies/program", json=policy, headers=headers)
    assert restored.status_code == 200, restored.text
    # Campaigns the fuzzer started would keep reaching later tests' customers.
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/campaigns", params=params, headers=headers)).json()
        for campaign in page["items"]:
            if campaign["status"] == "running":
                await client.post(f"/v1/campaigns/{campaign['id']}/pause", headers=headers)
        cursor = page["next_cursor"]
        if cursor is None:
            return


@pytest.mark.timeout(900)
async def test_the_public_api_gives_no_5xx_and_keeps_its_own_schema(
    fuzz_target: tuple[str, str],
) -> None:
    url, key = fuzz_target
    headers = {"Authorization": f"Bearer {key}"}
    checks = [not_a_server_error, response_schema_conformance]
    failures = await asyncio.to_thread(fuzz, url, headers, EXAMPLES_PER_OPERATION, checks)
    assert not failures, "\n\n".join(failures)
