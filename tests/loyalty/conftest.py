"""The loyalty API in process, on a fresh real database."""

from collections.abc import AsyncIterator

import pytest

from kit.stack import Infra
from tests.loyalty.till import Till, open_till, settings_for


@pytest.fixture
async def till(infra: Infra, postgres_url: str, event_namespace: str) -> AsyncIterator[Till]:
    """On PostgreSQL; every test ends with the reconcile checks passing."""
    async for opened in open_till(settings_for(infra, postgres_url, event_namespace)):
        yield opened


@pytest.fixture
async def any_till(infra: Infra, database_url: str, event_namespace: str) -> AsyncIterator[Till]:
    """Once on SQLite, once on PostgreSQL."""
    async for opened in open_till(settings_for(infra, database_url, event_namespace)):
        yield opened
