"""a purchase is known by its store and txid: two stores may number their tills alike

Allocations and returns name the store too, and a return's journal operation is referenced as
``store/txid/return_id``. Every existing row is backfilled from its purchase.

Revision ID: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"

STORE_OF_PURCHASE = "(SELECT p.store_id FROM purchases p WHERE p.txid = {table}.txid)"
# Before this revision a txid and a return id named one return: the subquery finds one row.
STORE_PREFIXED_REFERENCE = """
    UPDATE operations SET reference = (
        SELECT r.store_id FROM returns r WHERE r.txid || '/' || r.return_id = operations.reference
    ) || '/' || reference
    WHERE kind = 'return' AND EXISTS (
        SELECT 1 FROM returns r WHERE r.txid || '/' || r.return_id = operations.reference
    )"""
UNPREFIXED_REFERENCE = """
    UPDATE operations SET reference = substr(reference, length(
        (SELECT r.store_id FROM returns r
         WHERE r.store_id || '/' || r.txid || '/' || r.return_id = operations.reference)
    ) + 2)
    WHERE kind = 'return' AND EXISTS (
        SELECT 1 FROM returns r
        WHERE r.store_id || '/' || r.txid || '/' || r.return_id = operations.reference
    )"""


def _add_store(table: str) -> None:
    op.add_column(table, sa.Column("store_id", sa.String(64)))
    op.execute(f"UPDATE {table} SET store_id = {STORE_OF_PURCHASE.format(table=table)}")


def upgrade() -> None:
    with op.batch_alter_table("purchases", recreate="always") as batch:
        batch.drop_constraint("pk_purchases", type_="primary")
        batch.create_primary_key("pk_purchases", ["txid", "store_id"])
    _add_store("allocations")
    with op.batch_alter_table("allocations") as batch:
        batch.alter_column("store_id", existing_type=sa.String(64), nullable=False)
        batch.drop_index("ix_allocations_txid")
        batch.create_index("ix_allocations_purchase", ["txid", "store_id"])
    _add_store("returns")
    op.execute(STORE_PREFIXED_REFERENCE)
    with op.batch_alter_table("returns") as batch:
        batch.alter_column("store_id", existing_type=sa.String(64), nullable=False)
        batch.drop_constraint("uq_returns_txid", type_="unique")
        batch.create_unique_constraint(
            "uq_returns_purchase_return", ["txid", "store_id", "return_id"]
        )


def downgrade() -> None:
    op.execute(UNPREFIXED_REFERENCE)
    with op.batch_alter_table("returns") as batch:
        batch.drop_constraint("uq_returns_purchase_return", type_="unique")
        batch.create_unique_constraint("uq_returns_txid", ["txid", "return_id"])
        batch.drop_column("store_id")
    with op.batch_alter_table("allocations") as batch:
        batch.drop_index("ix_allocations_purchase")
        batch.create_index("ix_allocations_txid", ["txid"])
        batch.drop_column("store_id")
    with op.batch_alter_table("purchases", recreate="always") as batch:
        batch.drop_constraint("pk_purchases", type_="primary")
        batch.create_primary_key("pk_purchases", ["txid"])
