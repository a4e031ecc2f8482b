"""The full recompute's heavy steps, run over slices of the customers side by side.

Working out the facts and the differences is the same work for every customer, so on
PostgreSQL the customers are split into ranges of their id holding about as many customers
each (from the column's statistics), and each slice runs on its own connection (one core
each). A slice's results go to unlogged tables that the recompute's own connection then reads.
With one slice (or on SQLite) everything runs on that connection, in temporary tables.
"""

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.ddl import CreateTableAs

from segments import repository
from segments.rulesql import Slice

T = TypeVar("T")


class Slicer:
    def __init__(self, session: AsyncSession, parallelism: int) -> None:
        self.session = session
        postgres = session.get_bind().dialect.name == "postgresql"
        self.wanted = max(1, parallelism) if postgres else 1
        self.slices: list[Slice | None] = [None]

    async def split(self) -> None:
        """Cuts the customer ids into ``parallelism`` ranges of about as many customers each."""
        if self.wanted == 1:
            return
        bounds = await _bounds(self.session, self.wanted)
        if not bounds:
            return
        edges: list[str | None] = [None, *bounds, None]
        self.slices = [
            Slice(i, low, high) for i, (low, high) in enumerate(itertools.pairwise(edges))
        ]

    @property
    def count(self) -> int:
        return len(self.slices)

    @staticmethod
    def table_name(base: str, part: Slice | None) -> str:
        return base if part is None else f"{base}_slice{part.index}"

    async def each(self, step: Callable[[AsyncSession, Slice | None], Awaitable[T]]) -> list[T]:
        """``step`` for every slice, side by side, each committed on its own connection."""
        if self.count == 1:
            return [await step(self.session, self.slices[0])]

        async def run(part: Slice | None) -> T:
            async with AsyncSession(self.session.bind) as session, session.begin():
                await repository.plan_for_everyone(session)
                return await step(session, part)

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(run(part)) for part in self.slices]
        return [task.result() for task in tasks]


_HISTOGRAM = text(
    "SELECT histogram_bounds::text::text[] FROM pg_stats"
    " WHERE schemaname = current_schema() AND tablename = 'customer_profiles'"
    " AND attname = 'customer_id'"
)


async def _bounds(session: AsyncSession, count: int) -> list[str]:
    """``count - 1`` ids splitting the profiles evenly: read off the column's histogram when
    PostgreSQL has one, else sorted for (a fresh database)."""
    histogram = (await session.execute(_HISTOGRAM)).scalar()
    if histogram and len(histogram) > count:
        return [histogram[len(histogram) * k // count] for k in range(1, count)]
    fractions = ", ".join(str(k / count) for k in range(1, count))
    query = text(
        f"SELECT percentile_disc(ARRAY[{fractions}]) WITHIN GROUP (ORDER BY customer_id)"
        " FROM customer_profiles"
    )
    cuts = (await session.execute(query)).scalar()
    return [cut for cut in cuts or [] if cut is not None]


class Unlogged(CreateTableAs):
    """CREATE UNLOGGED TABLE ... AS: scratch rows that need no write-ahead log."""

    inherit_cache = True


@compiles(Unlogged, "postgresql")
def _unlogged(element: Unlogged, compiler: Any, **kw: Any) -> str:
    sql: str = compiler.visit_create_table_as(element, **kw)
    return sql.replace("CREATE TABLE", "CREATE UNLOGGED TABLE", 1)
