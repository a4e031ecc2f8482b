"""Tells a failure that passes once a dependency is back from one that will never pass.

A consumer retries the first kind for as long as it takes and dead-letters the second at once:
a database, Temporal or a service that is down must not turn every event into a dead letter.
"""

import enum
from collections.abc import Iterator

import asyncpg
import httpx
from nats import errors as nats_errors
from sqlalchemy import exc as sa_exc
from temporalio.service import RPCError, RPCStatusCode

from kit.errors import DomainError, ServiceUnavailable


class Failure(enum.Enum):
    TRANSIENT = "transient"  # a dependency is unreachable or busy: retry until it returns
    POISON = "poison"  # the message itself is wrong: no retry can make it pass
    UNKNOWN = "unknown"  # a bug or an unforeseen error: a few retries, then a dead letter


# Wrapped or not, these mean "not now" rather than "never".
_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    OSError,  # connection refused or reset, and TimeoutError
    sa_exc.OperationalError,  # PostgreSQL unreachable, SQLite busy
    sa_exc.InterfaceError,  # a connection closed under the driver
    sa_exc.TimeoutError,  # the pool found no connection in time
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections
    # A deadlock or serialization failure aborts one of the transactions: run again, it passes.
    asyncpg.exceptions.TransactionRollbackError,
    asyncpg.InterfaceError,
    httpx.TransportError,
    nats_errors.ConnectionClosedError,
    nats_errors.NoServersError,
    ServiceUnavailable,  # a service's own 503: its dependency is down
)
_TRANSIENT_RPC = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.CANCELLED,
    }
)


def classify(error: BaseException) -> Failure:
    """The kind of ``error``, looking through the exceptions it was raised from."""
    chain = list(_chain(error))
    if any(_is_transient(link) for link in chain):
        return Failure.TRANSIENT
    if any(isinstance(link, DomainError | ValueError) for link in chain):
        return Failure.POISON  # a business rule refused it, or the payload does not validate
    return Failure.UNKNOWN


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, RPCError):
        return error.status in _TRANSIENT_RPC or _namespace_not_ready(error)
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code >= 500 or error.response.status_code == 429
    return isinstance(error, _TRANSIENT_TYPES)


def _namespace_not_ready(error: RPCError) -> bool:
    """A Temporal server that has just started answers NOT_FOUND for its namespace until its
    cache is loaded (seconds, longer on a busy machine): it is back soon, the event is fine."""
    message = str(error)
    return error.status == RPCStatusCode.NOT_FOUND and message.startswith("Namespace ")


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def reason(error: BaseException) -> str:
    """One line for the dead letter's ``Reason`` header and the log."""
    text = " ".join(str(error).split())[:300]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
