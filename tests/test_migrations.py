import pytest
from sqlalchemy import inspect

from kit.db import create_engine
from kit.migrations import upgrade_async

SERVICES = {
    "loyalty": {"members"},
    "segments": {"customer_profiles"},
    "notifier": {"contacts", "deliveries"},
    "orchestrator": {"enrollments"},
    "gateway": {"api_keys"},
}


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_every_service_migrates_up_twice_without_harm(
    service: str, database_url: str
) -> None:
    await upgrade_async(f"{service}:migrations", database_url)
    await upgrade_async(f"{service}:migrations", database_url)
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        tables = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    await engine.dispose()
    assert SERVICES[service] | {"outbox", "processed_events", "alembic_version"} <= tables
