"""Async database engines and the unit-of-work boundary (SQLite or PostgreSQL, chosen by URL)."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, MetaData, TypeDecorator, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SessionFactory = async_sessionmaker[AsyncSession]
T = TypeVar("T")


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    """Declarative base for a service; each service subclasses it with its own metadata."""

    __abstract__ = True


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


# PostgreSQL keeps a plan per prepared statement and connection, but by default
# (`plan_cache_mode = auto`) it plans a statement again at every run for as long as those plans
# look cheaper than a generic one. For a statement that finds its rows by key (a member, a
# purchase, the lots it names) one plan serves whatever the values, and planning again can
# cost more than running: the till's reservation spent more of PostgreSQL's time being
# planned than being run (docs/loyalty.md, "Planned once"). An engine made with
# ``planned_once`` has PostgreSQL take the generic plan from a statement's first run; it is
# made again when autovacuum's analyse changes a table's statistics, as every plan is.
PLANNED_ONCE = {"plan_cache_mode": "force_generic_plan"}


def create_engine(url: str, *, planned_once: bool = False, **kwargs: Any) -> AsyncEngine:
    """An engine for ``url``; ``planned_once``: on PostgreSQL, every statement is planned once
    per connection (SQLite plans each statement anew and has no such choice)."""
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # A steady pool: overflow connections are closed on return, and a new PostgreSQL backend
    # plus asyncpg's per-connection statement cache cost more than the query they serve.
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 10)
    # No ping per checkout (a round trip on every transaction): a connection that died under
    # the pool fails its statement, SQLAlchemy then invalidates the whole pool, and the
    # request answers 503 `database_unavailable` (kit.errors), which a client may retry.
    kwargs.setdefault("pool_pre_ping", False)
    kwargs.setdefault("pool_recycle", 1800)
    if planned_once:  # the connection's own settings, beside any the caller gives
        connect_args = dict(kwargs.get("connect_args", {}))
        connect_args["server_settings"] = {
            **connect_args.get("server_settings", {}),
            **PLANNED_ONCE,
        }
        kwargs["connect_args"] = connect_args
    return create_async_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the API and the worker of one service read while the other writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """The boundary: commits once if the block succeeds, rolls back on any error."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def read_one_snapshot(session: AsyncSession) -> None:
    """Has a session whose transaction has not begun read one snapshot: each of its statements
    sees the database as the first one did (REPEATABLE READ on PostgreSQL), where under READ
    COMMITTED each sees what was committed when it started. For a read of several tables whose
    rows must agree. A session already in a transaction keeps the one it has."""
    if not session.in_transaction() and session.get_bind().dialect.name == "postgresql":
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


async def add_unless_duplicate(session: AsyncSession, instance: T) -> T | None:
    """Inserts ``instance``'s row unless a unique key was taken first; the stored row, or None.

    For inserts that can lose a race with a concurrent request: the caller turns None into a
    409, and the rest of its transaction stays usable. One ``INSERT ... ON CONFLICT DO NOTHING``
    rather than a savepoint: on SQLite the driver runs a savepoint outside any transaction, so
    releasing it committed the row at once, apart from the writes that follow it (the outbox).
    """
    mapper = inspect(type(instance))
    values = {
        attr.key: getattr(instance, attr.key)
        for attr in mapper.column_attrs
        if attr.key in instance.__dict__
    }
    stmt = insert_for(session)(type(instance)).values(**values).on_conflict_do_nothing()
    stored = await session.scalars(stmt.returning(type(instance)))
    return stored.one_or_none()


def insert_for(session: AsyncSession) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


async def insert_ignoring_conflict(session: AsyncSession, table: Any, row: dict[str, Any]) -> bool:
    """INSERT of one row that silently skips a duplicate key; True when the row was new."""
    result = await session.execute(insert_for(session)(table).values(row).on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


# Several rows go to the database as an executemany of one single-row INSERT, which SQLAlchemy
# compiles once and caches, then sends as multi-row statements ("insertmanyvalues": up to 1000
# rows, within the driver's bound-parameter limit, each). A multi-row ``.values([...])`` has no
# cache key: it was compiled anew for every batch, which cost a batch consumer more CPU than
# its statements. Every row of one call has the same keys.


async def insert_rows_ignoring_conflict(
    session: AsyncSession, table: Any, rows: Sequence[dict[str, Any]]
) -> None:
    """INSERT of several rows that silently skips duplicate keys."""
    if rows:
        await session.execute(insert_for(session)(table).on_conflict_do_nothing(), list(rows))


async def insert_new_keys(
    session: AsyncSession, table: Any, rows: Sequence[dict[str, Any]], key: str
) -> set[Any]:
    """``insert_rows_ignoring_conflict``, answering the ``key`` values that were new."""
    if not rows:
        return set()
    stmt = insert_for(session)(table).on_conflict_do_nothing().returning(table.c[key])
    return set((await session.scalars(stmt, list(rows))).all())


async def insert_keeping_earliest(
    session: AsyncSession, table: Any, rows: Sequence[dict[str, Any]], key: str, column: str
) -> None:
    """INSERT, or on a duplicate ``key`` lower ``column`` to the new value when it is earlier:
    events that arrive out of order still leave the earliest moment. Each ``key`` may appear
    once among the rows."""
    if rows:
        await session.execute(_keeping_earliest(session, table, key, column), list(rows))


def _keeping_earliest(session: AsyncSession, table: Any, key: str, column: str) -> Any:
    stmt = insert_for(session)(table)
    earlier = stmt.excluded[column] < table.c[column]
    return stmt.on_conflict_do_update(
        index_elements=[key], set_={column: stmt.excluded[column]}, where=earlier
    )


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps go in and come out as aware UTC, on SQLite (which keeps no zone) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: the platform stores aware UTC only")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, _dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
