"""Alembic per service: ``env.py`` calls ``run_env``; processes call ``upgrade``."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import Index, MetaData, Table
from sqlalchemy.engine import Connection, make_url

from kit.db import create_engine, is_sqlite
from kit.outbox import (
    PRUNING_INDEXES,
    drop_wakeup_trigger_ddl,
    outbox_table,
    processed_events_table,
    wakeup_trigger_ddl,
)


def _config(script_location: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", script_location)
    config.attributes["database_url"] = url
    return config


def _ensure_sqlite_dir(url: str) -> None:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)


def upgrade(script_location: str, url: str, revision: str = "head") -> None:
    _ensure_sqlite_dir(url)
    command.upgrade(_config(script_location, url), revision)


async def upgrade_async(script_location: str, url: str) -> None:
    await asyncio.to_thread(upgrade, script_location, url)


def run_env(metadata: MetaData) -> None:
    """Body of every service's ``env.py``: online migrations on the async engine."""
    url = context.config.attributes["database_url"]
    asyncio.run(_run_online(url, metadata))


async def _run_online(url: str, metadata: MetaData) -> None:
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_migrate, metadata)
        await connection.commit()
    await engine.dispose()


def _migrate(connection: Connection, metadata: MetaData) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def downgrade(script_location: str, url: str, revision: str) -> None:
    command.downgrade(_config(script_location, url), revision)


def _on_postgresql() -> bool:
    """The migration runs on PostgreSQL (not the embedded SQLite)."""
    return bool(op.get_bind().dialect.name == "postgresql")


def _plumbing_tables() -> tuple[Table, Table]:
    metadata = MetaData()
    return outbox_table(metadata), processed_events_table(metadata)


def _pruning_indexes(table: Table) -> set[Index]:
    return {index for index in table.indexes if index.name == PRUNING_INDEXES[table.name]}


def create_plumbing_tables() -> None:
    """The outbox and processed-event tables every service's first migration creates, as they
    were then: their pruning indexes come with a later migration (``add_pruning_indexes``)."""
    for table in _plumbing_tables():
        table.indexes -= _pruning_indexes(table)
        table.create(op.get_bind())


def add_pruning_indexes(*more: Index) -> None:
    """The indexes by which old outbox rows and processed-event records (and ``more``) are
    pruned. Built CONCURRENTLY on PostgreSQL, outside the migration's transaction: a table
    never pruned before may be large, and a plain build would hold the outbox, which takes
    every write, for as long as it runs."""
    indexes = [index for table in _plumbing_tables() for index in _pruning_indexes(table)]
    with _outside_transaction() as concurrently:
        for index in [*indexes, *more]:
            index.dialect_kwargs["postgresql_concurrently"] = concurrently
            index.create(op.get_bind())


@contextmanager
def _outside_transaction() -> Iterator[bool]:
    """PostgreSQL: a block in autocommit (yields True); elsewhere the migration's transaction."""
    if not _on_postgresql():
        yield False
        return
    with op.get_context().autocommit_block():
        yield True


def drop_pruning_indexes() -> None:
    for table, index in PRUNING_INDEXES.items():
        op.drop_index(index, table)


def drop_plumbing_tables() -> None:
    op.drop_table("processed_events")
    op.drop_table("outbox")


def add_outbox_wakeup() -> None:
    """PostgreSQL only: the trigger that wakes an idle outbox relay at commit."""
    if _on_postgresql():
        for statement in wakeup_trigger_ddl():
            op.execute(statement)


def drop_outbox_wakeup() -> None:
    if _on_postgresql():
        for statement in drop_wakeup_trigger_ddl():
            op.execute(statement)


# What autovacuum waits for on a hot table: 2 % of its rows changed (or inserted) rather than
# PostgreSQL's 20 % (10 % for statistics). A table that takes every purchase is then vacuumed
# and analysed at autovacuum's next visit, not once it has grown or rotted by a fifth
# (docs/operations.md, "PostgreSQL upkeep").
HOT_TABLE_SHARE = 0.02
_HOT_TABLE_OPTIONS = (
    "autovacuum_vacuum_scale_factor",
    "autovacuum_vacuum_insert_scale_factor",
    "autovacuum_analyze_scale_factor",
)


def keep_hot_tables_fresh(*tables: str) -> None:
    """PostgreSQL only: autovacuum takes ``tables`` once HOT_TABLE_SHARE of their rows
    changed."""
    if not _on_postgresql():
        return
    options = ", ".join(f"{name} = {HOT_TABLE_SHARE}" for name in _HOT_TABLE_OPTIONS)
    for table in tables:
        op.execute(f"ALTER TABLE {table} SET ({options})")


def forget_hot_tables(*tables: str) -> None:
    """Undoes ``keep_hot_tables_fresh``: PostgreSQL's own thresholds again."""
    if not _on_postgresql():
        return
    for table in tables:
        op.execute(f"ALTER TABLE {table} RESET ({', '.join(_HOT_TABLE_OPTIONS)})")
