"""Run as a script by test_db: two writes in one unit of work, and a crash between them.

``python crash_between_writes.py URL`` creates the tables, then adds a person with
``add_unless_duplicate`` and dies (exit 9) before the second write of the same unit of work.
"""

import asyncio
import os
import sys

from sqlalchemy import Column, MetaData, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import add_unless_duplicate, create_engine, session_factory, unit_of_work

CRASH_EXIT = 9


class Base(DeclarativeBase):
    metadata = MetaData()


class Person(Base):
    __tablename__ = "people"

    id: Mapped[str] = mapped_column(String(10), primary_key=True)
    email: Mapped[str] = mapped_column(String(100), unique=True)
    tier: Mapped[str] = mapped_column(String(10), default="base")


notes = Table("notes", Base.metadata, Column("id", String(10), primary_key=True))


async def crash_between_writes(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with unit_of_work(session_factory(engine)) as session:
        await add_unless_duplicate(session, Person(id="p1", email="p1@example.com"))
        await session.flush()
        os._exit(CRASH_EXIT)  # the process dies here: no second write, no commit
        await session.execute(notes.insert().values(id="n1"))


if __name__ == "__main__":
    asyncio.run(crash_between_writes(sys.argv[1]))
