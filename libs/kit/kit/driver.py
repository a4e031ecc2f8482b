"""Statements sent on asyncpg's own connection, for a path too hot for SQLAlchemy's execution.

A statement is still built with SQLAlchemy, on the tables, and compiled once, for the engine's
dialect; each call binds its values with the statement's own conversions (aware UTC
timestamps, JSON) and goes straight to asyncpg, which prepares it once per connection. What
that skips is SQLAlchemy's execution path: the session, the execution context, the result
object and the greenlet that runs each statement (about 90 µs of CPU a statement and 150 µs a
transaction here, against asyncpg's 60 µs a statement: docs/loyalty.md, "The till's hot
path"). Rows come back as asyncpg records, their JSON decoded and their timestamps aware UTC.

The connection is one of the engine's own pool, so it carries the codecs SQLAlchemy set up;
a lost connection is invalidated in the pool and raised as SQLAlchemy's ``OperationalError``
(the services answer it `503 database_unavailable`, as on any other path), any other database
error as ``DBAPIError``. PostgreSQL only: the callers keep their SQLAlchemy path for SQLite.
"""

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast
from weakref import WeakKeyDictionary

import asyncpg
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from kit.tracing import sql_span

_REQUIRED = object()
# Errors after which the connection cannot be trusted again: the server is gone or going, or
# the client's side of the protocol is broken (a half-finished exchange, a closed socket).
_LOST = (
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    OSError,
)


class _Bound:
    """A statement compiled for one dialect: its SQL and how each positional value is made."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        self.sql = compiled.string
        processors: Mapping[str, Any] = compiled._bind_processors
        defaults = {
            name: bind.effective_value
            for bind, name in compiled.bind_names.items()
            if not bind.required
        }
        self.binds = [
            (name, processors.get(name), defaults.get(name, _REQUIRED))
            for name in compiled.positiontup or ()
        ]

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        values = []
        for name, process, default in self.binds:
            value = params[name] if default is _REQUIRED else params.get(name, default)
            values.append(process(value) if process is not None else value)
        return values


class DriverStatement:
    """A SQLAlchemy statement run on asyncpg's connection; compiled on first use."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._bound: _Bound | None = None

    def bound(self, dialect: Dialect) -> _Bound:
        if self._bound is None:
            self._bound = _Bound(self.statement, dialect)
        return self._bound


# Called with each statement's SQL before it is sent, as the engine's `before_cursor_execute`
# listeners are for its own: what a test counts or a tool logs.
Listener = Callable[[str], None]
_listeners: WeakKeyDictionary[Engine, list[Listener]] = WeakKeyDictionary()


def listen(engine: AsyncEngine, listener: Listener) -> Callable[[], None]:
    """Calls ``listener`` with every statement sent on the engine's driver connections; the
    function that stops it."""
    listeners = _listeners.setdefault(engine.sync_engine, [])
    listeners.append(listener)
    return lambda: listeners.remove(listener)


class DriverConnection:
    """A checked-out connection: runs driver statements, each a span in a sampled trace."""

    def __init__(self, connection: AsyncConnection, driver: asyncpg.Connection) -> None:
        self.connection = connection
        self.driver = driver
        self.dialect = connection.dialect
        self.listeners = _listeners.get(connection.engine.sync_engine, ())

    async def fetch(
        self, statement: DriverStatement, params: Mapping[str, Any]
    ) -> Sequence[asyncpg.Record]:
        bound = statement.bound(self.dialect)
        for listener in self.listeners:
            listener(bound.sql)
        with sql_span(self.connection.engine, bound.sql):
            rows: Sequence[asyncpg.Record] = await self.driver.fetch(bound.sql, *bound.args(params))
        return rows

    async def fetchrow(
        self, statement: DriverStatement, params: Mapping[str, Any]
    ) -> asyncpg.Record | None:
        rows = await self.fetch(statement, params)
        return rows[0] if rows else None


@asynccontextmanager
async def driver_statements(engine: AsyncEngine) -> AsyncIterator[DriverConnection]:
    """One of the engine's connections with no transaction block: each statement commits by
    itself, and an exchange with the server is the statement alone (no ``BEGIN``, no
    ``COMMIT``). A database error is raised as SQLAlchemy would raise it."""
    async with engine.connect() as connection:
        # The pool's connection, checked out by connect(): an attribute, no greenlet round.
        assert connection.sync_connection is not None
        raw = connection.sync_connection.connection
        driver: asyncpg.Connection = raw.driver_connection
        try:
            yield DriverConnection(connection, driver)
        except (asyncpg.PostgresError, *_LOST) as exc:
            if isinstance(exc, _LOST) or driver.is_closed():
                # As SQLAlchemy does on a disconnect: every connection of the pool made before
                # now is replaced at its next checkout (a restarted server dropped them all).
                engine.sync_engine.pool._invalidate(raw, exc, _checkin=False)
                raw.invalidate(exc)
                raise OperationalError("driver", None, exc, connection_invalidated=True) from exc
            raise DBAPIError("driver", None, exc) from exc
