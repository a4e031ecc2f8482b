"""A streamed export through a real gateway server: long streams are not cut, broken ones show.

The segments service is a small stand-in serving exports that are slow, that stall, and that
break off; the gateway and both HTTP hops are real servers on loopback.
"""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from gateway import keys
from gateway.app import create_app
from kit.db import SessionFactory, unit_of_work
from kit.stack import Infra
from tests.gateway.conftest import bearer, settings_for
from tests.gateway.serving import serving

ROWS = 6


def exports() -> FastAPI:
    app = FastAPI()

    async def rows(pause: float, then: str) -> AsyncIterator[bytes]:
        yield b"customer_id\n"
        for number in range(ROWS):
            await asyncio.sleep(pause)
            yield f"c-{number}\n".encode()
        if then == "stall":
            await asyncio.sleep(3600)
        if then == "break":
            raise RuntimeError("the database went away mid-export")

    @app.get("/segments/{segment_id}/members/export")
    async def export(segment_id: str) -> StreamingResponse:
        then = {"stalls": "stall", "breaks": "break"}.get(segment_id, "end")
        return StreamingResponse(rows(0.3, then), media_type="text/csv")

    return app


@pytest.fixture
async def gateway_url(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory
) -> AsyncIterator[tuple[str, str]]:
    async with serving(exports()) as segments_url:
        settings = settings_for(
            infra,
            gateway_db,
            segments_url=segments_url,
            upstream_timeout_seconds=0.5,
            stream_idle_timeout_seconds=1.5,
        )
        async with unit_of_work(gateway_sessions) as session:
            issued = await keys.create_key(session, "exports", ["marketer"])
        async with serving(create_app(settings)) as url:
            yield url, issued.key


async def download(gateway_url: tuple[str, str], segment_id: str) -> httpx.Response:
    url, key = gateway_url
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        path = f"/v1/segments/{segment_id}/members/export"
        return await client.get(path, headers=bearer(key))


async def test_a_stream_longer_than_the_request_timeout_arrives_whole(
    gateway_url: tuple[str, str],
) -> None:
    answer = await download(gateway_url, "slow")
    assert answer.status_code == 200
    assert answer.text.splitlines() == ["customer_id"] + [f"c-{n}" for n in range(ROWS)]


@pytest.mark.parametrize("segment_id", ["stalls", "breaks"])
async def test_a_broken_stream_is_visible_to_the_client(
    gateway_url: tuple[str, str], segment_id: str
) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        await download(gateway_url, segment_id)
