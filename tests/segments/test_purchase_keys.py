"""txids are unique per store only: two stores' equal txids are two purchases in the projection."""

import asyncio
from datetime import UTC, datetime, timedelta

from alembic import command
from alembic.config import Config
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from kit.db import SessionFactory, create_engine, unit_of_work
from kit.migrations import upgrade, upgrade_async
from segments.models import PurchaseCategory
from tests.segments.conftest import deliver, profile_of, purchase, registered, returned

NOW = datetime.now(UTC)


async def test_equal_txids_at_two_stores_are_two_purchases(sessions: SessionFactory) -> None:
    member = registered()
    assert member.customer_id
    at_a = purchase(member.customer_id, NOW - timedelta(days=3), amount=1000, txid="T1")
    at_b = purchase(
        member.customer_id,
        NOW - timedelta(days=2),
        amount=700,
        txid="T1",
        store_id="s2",
        categories=("toys",),
    )
    await deliver(sessions, member, at_a, at_b)

    profile = await profile_of(sessions, member.customer_id)
    assert (profile.purchase_count, profile.lifetime_spend) == (2, 1700)
    assert profile.last_store_id == "s2"
    async with unit_of_work(sessions) as session:
        keys = await session.execute(
            select(PurchaseCategory.purchase_key, PurchaseCategory.category).where(
                PurchaseCategory.customer_id == member.customer_id
            )
        )
        assert {tuple(row) for row in keys} == {("s1/T1", "food"), ("s2/T1", "toys")}


async def test_a_return_reduces_only_its_own_stores_purchase(sessions: SessionFactory) -> None:
    member = registered()
    assert member.customer_id
    at_a = purchase(member.customer_id, NOW - timedelta(days=3), amount=1000, txid="T2")
    at_b = purchase(
        member.customer_id, NOW - timedelta(days=2), amount=700, txid="T2", store_id="s2"
    )
    await deliver(sessions, member, at_a, at_b, returned(member.customer_id, at_b, 700, NOW))

    profile = await profile_of(sessions, member.customer_id)
    assert (profile.purchase_count, profile.lifetime_spend) == (1, 1000)
    assert profile.last_store_id == "s1"


async def test_two_purchases_may_have_the_same_return_id(sessions: SessionFactory) -> None:
    member = registered()
    assert member.customer_id
    first = purchase(member.customer_id, NOW - timedelta(days=3), amount=1000)
    second = purchase(member.customer_id, NOW - timedelta(days=2), amount=700)
    await deliver(
        sessions,
        member,
        first,
        second,
        returned(member.customer_id, first, 300, NOW, return_id="R1"),
        returned(member.customer_id, second, 700, NOW, return_id="R1"),
    )

    profile = await profile_of(sessions, member.customer_id)
    assert (profile.purchase_count, profile.lifetime_spend) == (1, 700)


OLD_ROWS = [
    """INSERT INTO purchases (txid, customer_id, purchased_at, store_id, channel, city,
        total_amount, net_amount)
       VALUES ('t1', 'c1', '2026-01-01 00:00:00+00', 'store-a', 'offline', NULL, 1000, 700)""",
    """INSERT INTO purchase_categories (txid, category, customer_id, purchased_at, counted)
       VALUES ('t1', 'food', 'c1', '2026-01-01 00:00:00+00', TRUE)""",
    """INSERT INTO purchase_returns (return_id, txid, customer_id, refunded_amount, returned_at)
       VALUES ('r1', 't1', 'c1', 300, '2026-01-02 00:00:00+00')""",
    # A return that arrived before its purchase: no store is known for it yet.
    """INSERT INTO purchase_returns (return_id, txid, customer_id, refunded_amount, returned_at)
       VALUES ('r2', 't9', 'c1', 100, '2026-01-02 00:00:00+00')""",
]


async def migrated_with_old_rows(url: str) -> AsyncEngine:
    """OLD_ROWS written at revision 0003, then every migration applied."""
    await asyncio.to_thread(upgrade, "segments:migrations", url, "0003")
    engine = create_engine(url)
    async with engine.begin() as connection:
        for statement in OLD_ROWS:
            await connection.execute(text(statement))
    await upgrade_async("segments:migrations", url)
    return engine


async def test_the_migration_keys_existing_rows_by_store_and_txid(database_url: str) -> None:
    engine = await migrated_with_old_rows(database_url)
    async with engine.begin() as connection:
        purchases = (
            await connection.execute(text("SELECT purchase_key, net_amount FROM purchases"))
        ).all()
        categories = (
            await connection.execute(text("SELECT purchase_key FROM purchase_categories"))
        ).all()
        returns = (
            await connection.execute(
                text("SELECT purchase_key, return_id FROM purchase_returns ORDER BY return_id")
            )
        ).all()
        # The same txid and return id at another store are a new purchase and a new return.
        await connection.execute(
            text(
                """INSERT INTO purchases (purchase_key, customer_id, purchased_at, store_id,
                    channel, total_amount, net_amount)
                VALUES ('store-b/t1', 'c1', '2026-01-01 00:00:00+00', 'store-b', 'offline',
                    5, 5)"""
            )
        )
        await connection.execute(
            text(
                """INSERT INTO purchase_returns (purchase_key, return_id, customer_id,
                    refunded_amount, returned_at)
                VALUES ('store-b/t1', 'r1', 'c1', 1, '2026-01-02 00:00:00+00')"""
            )
        )
    await engine.dispose()
    assert [tuple(row) for row in purchases] == [("store-a/t1", 700)]
    assert [tuple(row) for row in categories] == [("store-a/t1",)]
    assert [tuple(row) for row in returns] == [("store-a/t1", "r1"), ("t9", "r2")]


def downgrade(url: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", "segments:migrations")
    config.attributes["database_url"] = url
    command.downgrade(config, revision)


async def test_the_migration_goes_back_to_txid_keys(database_url: str) -> None:
    engine = await migrated_with_old_rows(database_url)
    await asyncio.to_thread(downgrade, database_url, "0003")
    async with engine.begin() as connection:
        keys = {
            table: sorted(
                tuple(row) for row in await connection.execute(text(f"SELECT txid FROM {table}"))
            )
            for table in ("purchases", "purchase_categories", "purchase_returns")
        }
    await engine.dispose()
    assert keys == {
        "purchases": [("t1",)],
        "purchase_categories": [("t1",)],
        "purchase_returns": [("t1",), ("t9",)],
    }
