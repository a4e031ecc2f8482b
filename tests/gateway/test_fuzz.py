"""Property-based fuzzing of the public OpenAPI (schemathesis), through real services.

The gateway runs in this process under uvicorn, with a generous rate limit so the examples
reach the services, in front of the running platform's real services. Bounded: a fixed number
of examples per operation, and the test's own timeout.
"""

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from gateway import keys
from gateway.app import create_app
from gateway.settings import GatewaySettings
from kit.db import create_engine, session_factory, unit_of_work
from kit.migrations import upgrade_async
from kit.stack import Infra, Platform, free_port, http_ok, wait_until
from kit.testing import unique
from tests.gateway.conftest import settings_for

pytestmark = pytest.mark.e2e
EXAMPLES_PER_OPERATION = 30


@contextmanager
def serving(gateway_settings: GatewaySettings) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(gateway_settings), host="127.0.0.1", port=port, log_config=None
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/healthz"), 60, "the gateway")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


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
    with serving(gateway_settings) as url:
        yield url, issued.key


def fuzz(url: str, key: str) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            failures.append(f"the schema: {result.err()}")
            continue
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(
                base_url=url,
                headers={"Authorization": f"Bearer {key}"},
                checks=[not_a_server_error, response_schema_conformance],
                timeout=30,
            )

        try:
            check()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    return failures


@pytest.mark.timeout(900)
async def test_the_public_api_gives_no_5xx_and_keeps_its_own_schema(
    fuzz_target: tuple[str, str],
) -> None:
    url, key = fuzz_target
    failures = await asyncio.to_thread(fuzz, url, key)
    assert not failures, "\n\n".join(failures)
