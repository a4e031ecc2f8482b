"""purchases and conversions keyed by store and txid

Revision ID: 0016

txids are unique per store only, so the analytics name a purchase by
`kit.contracts.loyalty.purchase_key` ("store/txid"). The orchestrator never kept a purchase's
store, so rows recorded before this revision keep their bare txid (then unique) as their key; a
return looks its purchase up by the full key first and by the bare txid after
(`analytics_repository.refund`).
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"


def _key_columns(name: str, width: int, was: int) -> None:
    with op.batch_alter_table("customer_purchases") as batch:
        batch.alter_column(
            "txid" if name == "purchase_key" else "purchase_key",
            new_column_name=name,
            type_=sa.String(width),
            existing_type=sa.String(was),
            existing_nullable=False,
        )
    with op.batch_alter_table("conversions") as batch:
        batch.alter_column(
            "purchase_id",
            type_=sa.String(width),
            existing_type=sa.String(was),
            existing_nullable=False,
        )


def upgrade() -> None:
    _key_columns("purchase_key", 200, 100)


def downgrade() -> None:
    """Fails on PostgreSQL while a key longer than the old 100 characters is stored."""
    _key_columns("txid", 100, 200)
