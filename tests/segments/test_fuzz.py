"""Property-based fuzzing of the segments API's OpenAPI (schemathesis).

The API runs under uvicorn on the real PostgreSQL, NATS and Redis, with a few rule segments and
customers so reads, pages and previews find something. Every answer: no 5xx, a documented
status, the documented shape. Bounded: a fixed number of examples per operation.
"""

import asyncio

import httpx
import pytest

from kit.db import SessionFactory
from kit.stack import Infra
from segments.app import create_app
from segments.settings import SegmentsSettings
from tests.fuzzing import fuzz, serving
from tests.segments.test_api import RECENT_BUYERS, customers

EXAMPLES_PER_OPERATION = 25


@pytest.mark.timeout(600)
async def test_the_segments_api_gives_no_5xx_and_documents_every_answer(
    infra: Infra, postgres_url: str, sessions: SessionFactory, event_namespace: str
) -> None:
    await customers(sessions, buyers=2, others=1)
    settings = SegmentsSettings(
        database_url=postgres_url, event_namespace=event_namespace, **infra.servers
    )
    with serving(create_app(settings)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            body = {"name": "Recent buyers", "definition": RECENT_BUYERS}
            assert (await client.post("/segments", json=body)).status_code == 201
        failures = await asyncio.to_thread(fuzz, url, {}, EXAMPLES_PER_OPERATION)
    assert not failures, "\n\n".join(failures)
