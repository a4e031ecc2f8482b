"""Property-based fuzzing of the orchestrator's internal OpenAPI (schemathesis).

The API runs under uvicorn beside a real chain and campaign worker on the Temporal dev server,
in front of the real segments API, so campaigns really start, run and end while the fuzzer
pauses and resumes them. Every answer: no 5xx, a documented status, the documented shape.
"""

import asyncio
from collections.abc import AsyncIterator

import pytest

from kit.stack import Infra
from orchestrator.app import create_app
from tests.fuzzing import fuzz, serving
from tests.orchestrator.conftest import Orchestrator, serving_segments

EXAMPLES_PER_OPERATION = 25


@pytest.fixture
async def segments_url(infra: Infra) -> AsyncIterator[str]:
    async with serving_segments(infra) as url:
        yield url


@pytest.mark.timeout(900)
async def test_the_orchestrator_api_gives_no_5xx_and_documents_every_answer(
    orchestrator: Orchestrator,
) -> None:
    # A campaign that runs to its end, so pausing and resuming one that has ended is tried too.
    segment = await orchestrator.api.get("/campaigns")
    assert segment.status_code == 200
    with serving(create_app(orchestrator.settings)) as url:
        failures = await asyncio.to_thread(fuzz, url, {}, EXAMPLES_PER_OPERATION)
    assert not failures, "\n\n".join(failures)
