"""purchases, their categories and returns keyed by store and txid

Revision ID: 0005

txids are unique per store only, so a purchase is named by `kit.contracts.loyalty.purchase_key`
("store/txid") and a return by its purchase's key and its return id. The three tables are rebuilt
(the same statements on PostgreSQL and SQLite) and every existing row takes its purchase's store;
a return whose purchase has not arrived keeps its bare txid, the key of a storeless return.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"

_TS = sa.DateTime(timezone=True)
_TABLES = ("purchase_returns", "purchase_categories", "purchases")


def _create(key: str, key_type: sa.String) -> None:
    """The three tables with `key` naming the purchase (`txid` before this revision)."""
    op.create_table(
        "purchases",
        sa.Column(key, key_type, primary_key=True),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("purchased_at", _TS, nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("city", sa.String(120)),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
        sa.Column("net_amount", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_purchases_customer_time", "purchases", ["customer_id", "purchased_at"])
    op.create_table(
        "purchase_categories",
        sa.Column(key, key_type, primary_key=True),
        sa.Column("category", sa.String(120), primary_key=True),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("purchased_at", _TS, nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
    )
    op.create_index(
        "ix_purchase_categories_lookup", "purchase_categories", ["category", "purchased_at"]
    )
    returns: list[sa.schema.SchemaItem] = [
        sa.Column(key, key_type, primary_key=key == "purchase_key", nullable=False),
        sa.Column("return_id", sa.String(128), primary_key=True),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("returned_at", _TS, nullable=False),
    ]
    op.create_table("purchase_returns", *returns)
    if key == "txid":
        op.create_index("ix_purchase_returns_txid", "purchase_returns", ["txid"])


def _rebuild(key: str, key_type: sa.String, purchase: str, owner: str) -> None:
    """Copy the tables aside, recreate them and copy back: `purchase` computes a purchase row's
    new key from `o` (the old purchase row), `owner` a category's or return's from `x` and `o`
    (its purchase's old row, NULL when it has none)."""
    for table in _TABLES:
        op.execute(f"CREATE TABLE old_{table} AS SELECT * FROM {table}")
        op.drop_table(table)
    _create(key, key_type)
    old_key = "purchase_key" if key == "txid" else "txid"
    op.execute(
        f"""INSERT INTO purchases ({key}, customer_id, purchased_at, store_id, channel, city,
            total_amount, net_amount)
        SELECT {purchase}, customer_id, purchased_at, store_id, channel, city, total_amount,
            net_amount FROM old_purchases o"""
    )
    joined = f"LEFT JOIN old_purchases o ON o.{old_key} = x.{old_key}"
    op.execute(
        f"""INSERT INTO purchase_categories ({key}, category, customer_id, purchased_at, counted)
        SELECT {owner}, x.category, x.customer_id, x.purchased_at, x.counted
        FROM old_purchase_categories x {joined}"""
    )
    op.execute(
        f"""INSERT INTO purchase_returns ({key}, return_id, customer_id, refunded_amount,
            returned_at)
        SELECT {owner}, x.return_id, x.customer_id, x.refunded_amount, x.returned_at
        FROM old_purchase_returns x {joined}"""
    )
    for table in _TABLES:
        op.drop_table(f"old_{table}")


def upgrade() -> None:
    _rebuild(
        "purchase_key",
        sa.String(200),
        purchase="o.store_id || '/' || o.txid",
        owner="COALESCE(o.store_id || '/' || x.txid, x.txid)",
    )


def downgrade() -> None:
    """Fails when two stores share a txid: the old tables cannot hold both purchases."""
    strip = "SUBSTR({key}, LENGTH(o.store_id) + 2)"
    _rebuild(
        "txid",
        sa.String(128),
        purchase=strip.format(key="o.purchase_key"),
        owner=f"COALESCE({strip.format(key='x.purchase_key')}, x.purchase_key)",
    )
