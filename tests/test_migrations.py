import asyncio

import pytest
from sqlalchemy import inspect, text

from kit.clock import utcnow
from kit.db import create_engine
from kit.migrations import downgrade, upgrade_async
from kit.retention import Target
from kit.stack import Infra
from kit.testing import migrated_database
from loyalty.pruning import targets
from loyalty.settings import LoyaltySettings

SERVICES = {
    "loyalty": {"members"},
    "segments": {"customer_profiles"},
    "notifier": {"contacts", "deliveries"},
    "orchestrator": {"enrollments"},
    "gateway": {"api_keys"},
}
# What each service's worker prunes by (kit.retention), table by table.
PRUNING_INDEXES = {
    "outbox": "ix_outbox_published_at",
    "processed_events": "ix_processed_events_processed_at",
}
LOYALTY_PRUNING_INDEXES = {
    **PRUNING_INDEXES,
    "idempotency_records": "ix_idempotency_records_created_at",
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


async def pruning_indexes(url: str, expected: dict[str, str]) -> dict[str, str]:
    """Of ``expected`` (an index by table), those the database has."""
    engine = create_engine(url)
    async with engine.connect() as conn:
        found = await conn.run_sync(
            lambda sync: {
                table: index
                for table, index in expected.items()
                if index in {i["name"] for i in inspect(sync).get_indexes(table)}
            }
        )
    await engine.dispose()
    return found


# The revision each service's pruning-index migration comes after.
BEFORE_PRUNING_INDEXES = {
    "loyalty": "0008",
    "notifier": "0007",
    "orchestrator": "0014",
    "segments": "0003",
    "gateway": "0003",
}


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_the_pruning_indexes_come_with_their_migration_and_go_with_its_downgrade(
    service: str, database_url: str
) -> None:
    expected = LOYALTY_PRUNING_INDEXES if service == "loyalty" else PRUNING_INDEXES
    await upgrade_async(f"{service}:migrations", database_url)
    assert await pruning_indexes(database_url, expected) == expected

    before = BEFORE_PRUNING_INDEXES[service]
    await asyncio.to_thread(downgrade, f"{service}:migrations", database_url, before)
    assert await pruning_indexes(database_url, expected) == {}
    await upgrade_async(f"{service}:migrations", database_url)
    assert await pruning_indexes(database_url, expected) == expected


# Many recent rows and a few old ones, as a busy service has between two prunes.
FILL = {
    "outbox": """INSERT INTO outbox (event_id, subject, data, created_at, published_at)
        SELECT g::text, 's', '\\x00', now(), now() - make_interval(mins => g % 1000)
        FROM generate_series(1, 20000) g""",
    "processed_events": """INSERT INTO processed_events (consumer, event_id, processed_at)
        SELECT 'c', g::text, now() - make_interval(mins => g % 1000)
        FROM generate_series(1, 20000) g""",
    "idempotency_records": """INSERT INTO idempotency_records
        (key, fingerprint, status_code, answer, created_at)
        SELECT g::text, 'f', 201, '{}', now() - make_interval(mins => g % 1000)
        FROM generate_series(1, 20000) g""",
}


async def plan_of(url: str, target: Target) -> str:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(FILL[target.table.name]))
        await conn.execute(text(f"ANALYZE {target.table.name}"))
        query = target.due_keys(utcnow(), 5_000).compile(
            conn.engine, compile_kwargs={"literal_binds": True}
        )
        lines = (await conn.execute(text(f"EXPLAIN {query}"))).scalars()
        plan = "\n".join(lines)
    await engine.dispose()
    return plan


async def test_each_prune_of_loyalty_on_postgresql_finds_its_rows_by_an_index(
    infra: Infra,
) -> None:
    url = await migrated_database(infra, "loyalty")
    for target in targets(LoyaltySettings()):
        plan = await plan_of(url, target)
        assert LOYALTY_PRUNING_INDEXES[target.table.name] in plan, plan
        assert "Seq Scan" not in plan, plan


# The loyalty tables every purchase writes to.
LEDGER = ("members", "lots", "purchases", "allocations", "operations", "journal", "outbox")


async def autovacuum_options(url: str, tables: tuple[str, ...]) -> dict[str, list[str]]:
    """Each table's own autovacuum settings (``reloptions``), as PostgreSQL stores them."""
    engine = create_engine(url)
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT relname, reloptions FROM pg_class WHERE relname = ANY(:tables)"),
            {"tables": list(tables)},
        )
        found = {row.relname: sorted(row.reloptions or []) for row in rows}
    await engine.dispose()
    return found


async def test_the_ledgers_hot_tables_are_vacuumed_and_analysed_at_two_percent(
    infra: Infra,
) -> None:
    """PostgreSQL's defaults (20 % dead rows, 10 % changed) left the till's cached plans
    scanning the ledger as it was when small; the migration's downgrade gives them back."""
    url = await migrated_database(infra, "loyalty")
    expected = sorted(
        f"{name}=0.02"
        for name in (
            "autovacuum_vacuum_scale_factor",
            "autovacuum_vacuum_insert_scale_factor",
            "autovacuum_analyze_scale_factor",
        )
    )
    assert await autovacuum_options(url, LEDGER) == {table: expected for table in LEDGER}

    await asyncio.to_thread(downgrade, "loyalty:migrations", url, "0009")
    assert await autovacuum_options(url, LEDGER) == {table: [] for table in LEDGER}


async def test_a_member_there_before_spend_counted_at_is_counted_by_its_migration(
    infra: Infra,
) -> None:
    """The till's confirm takes a member's stored spend only once it knows when it was counted
    (loyalty/till_driver.py): members stored before the column came are counted as of then."""
    url = await migrated_database(infra, "loyalty")
    await asyncio.to_thread(downgrade, "loyalty:migrations", url, "0010")
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO members (id, time_zone, consents, created_at)"
                    " VALUES ('before', 'UTC', '{}', now())"
                )
            )
        await upgrade_async("loyalty:migrations", url)
        async with engine.connect() as conn:
            counted = await conn.scalar(
                text("SELECT spend_counted_at FROM members WHERE id = 'before'")
            )
    finally:
        await engine.dispose()
    assert counted is not None and counted <= utcnow()
