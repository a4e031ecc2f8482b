"""purchases, their categories and returns keyed by store and txid

Revision ID: 0005

txids are unique per store only, so a purchase is named by `kit.contracts.loyalty.purchase_key`
("store/txid") and a return by its purchase's key and its return id. Every existing row takes its
purchase's store; a return whose purchase has not arrived keeps its bare txid, the key of a
storeless return. The statements are the same on PostgreSQL and SQLite.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"

_TS = sa.DateTime(timezone=True)


def _rename_key(old: str, new: str, width: int, was: int) -> None:
    for table in ("purchases", "purchase_categories"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                old,
                new_column_name=new,
                type_=sa.String(width),
                existing_type=sa.String(was),
                existing_nullable=False,
            )


def _rebuild_returns(key: str, key_type: sa.String, owner: str) -> None:
    """The primary key changes, so the table is copied aside and back; `owner` computes a
    return's new key from `x` (the old row) and `p` (its purchase, NULL when it has none)."""
    op.execute("CREATE TABLE old_purchase_returns AS SELECT * FROM purchase_returns")
    op.drop_table("purchase_returns")
    op.create_table(
        "purchase_returns",
        sa.Column(key, key_type, primary_key=key == "purchase_key", nullable=False),
        sa.Column("return_id", sa.String(128), primary_key=True),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("returned_at", _TS, nullable=False),
    )
    old_key = "purchase_key" if key == "txid" else "txid"
    op.execute(
        f"""INSERT INTO purchase_returns ({key}, return_id, customer_id, refunded_amount,
            returned_at)
        SELECT {owner}, x.return_id, x.customer_id, x.refunded_amount, x.returned_at
        FROM old_purchase_returns x LEFT JOIN purchases p ON p.purchase_key = x.{old_key}"""
    )
    op.drop_table("old_purchase_returns")


def upgrade() -> None:
    _rename_key("txid", "purchase_key", 200, 128)
    # Returns and categories first: they find their purchase by its bare txid.
    _rebuild_returns("purchase_key", sa.String(200), "COALESCE(p.store_id || '/' || x.txid, x.txid)")
    op.execute(
        """UPDATE purchase_categories SET purchase_key = (
            SELECT p.store_id || '/' || p.purchase_key FROM purchases p
            WHERE p.purchase_key = purchase_categories.purchase_key)"""
    )
    op.execute("UPDATE purchases SET purchase_key = store_id || '/' || purchase_key")


def downgrade() -> None:
    """Fails when two stores share a txid: the old tables cannot hold both purchases."""
    strip = "SUBSTR({key}, LENGTH({store}) + 2)"
    _rebuild_returns(
        "txid",
        sa.String(128),
        f"COALESCE({strip.format(key='x.purchase_key', store='p.store_id')}, x.purchase_key)",
    )
    op.create_index("ix_purchase_returns_txid", "purchase_returns", ["txid"])
    op.execute(
        f"""UPDATE purchase_categories SET purchase_key = (
            SELECT {strip.format(key="p.purchase_key", store="p.store_id")} FROM purchases p
            WHERE p.purchase_key = purchase_categories.purchase_key)"""
    )
    op.execute(f"UPDATE purchases SET purchase_key = {strip.format(key='purchase_key', store='store_id')}")
    _rename_key("purchase_key", "txid", 128, 200)
