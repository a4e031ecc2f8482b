"""`/docs` of every API works without internet: every asset comes from the platform itself."""

import re
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from gateway.app import create_app as gateway_app
from loyalty.app import create_app as loyalty_app
from notifier.app import create_app as notifier_app
from orchestrator.app import create_app as orchestrator_app
from segments.app import create_app as segments_app

APPS: list[Callable[[], FastAPI]] = [
    gateway_app,
    loyalty_app,
    segments_app,
    notifier_app,
    orchestrator_app,
]
REFERENCE = re.compile(r"""(?:src|href)="([^"]+)"|url: '([^']+)'""")


@pytest.mark.parametrize("make_app", APPS, ids=lambda make: make.__module__.split(".")[0])
async def test_the_docs_page_loads_only_its_own_assets(make_app: Callable[[], FastAPI]) -> None:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        page = await client.get("/docs")
        assert page.status_code == 200 and "SwaggerUIBundle" in page.text
        references = [a or b for a, b in REFERENCE.findall(page.text)]
        assert len(references) >= 4, references  # stylesheet, icon, script, the OpenAPI
        for reference in references:
            assert reference.startswith("/") and not reference.startswith("//"), reference
            asset = await client.get(reference)
            assert asset.status_code == 200 and len(asset.content) > 100, reference
        assert "://" not in page.text  # no host named anywhere on the page
