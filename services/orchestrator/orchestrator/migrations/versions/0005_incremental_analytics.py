"""64-bit money; one message row per cascade attempt with its SMS segments; returns against
conversions; redemptions of the chains' own grants; every purchase for pre-period spend

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    with op.batch_alter_table("conversions") as batch:
        batch.alter_column("revenue", type_=sa.BigInteger, existing_nullable=False)
        batch.alter_column("redeemed_points", type_=sa.BigInteger, existing_nullable=False)
        batch.add_column(sa.Column("refunded", sa.BigInteger, nullable=False, server_default="0"))
        batch.create_index("ix_conversions_purchase_id", ["purchase_id"])
    with op.batch_alter_table("chain_grants") as batch:
        batch.alter_column("amount", type_=sa.BigInteger, existing_nullable=False)
    _attempt_rows()
    op.create_table(
        "chain_redemptions",
        sa.Column("id", sa.String(250), primary_key=True),
        sa.Column("grant_id", sa.String(36), nullable=False, index=True),
        sa.Column("chain_id", sa.String(100), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("points", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "customer_purchases",
        sa.Column("txid", sa.String(100), primary_key=True),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("purchased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_amount", sa.BigInteger, nullable=False),
        sa.Column("refunded", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_index(
        "ix_customer_purchases_customer_at", "customer_purchases", ["customer_id", "purchased_at"]
    )


def _attempt_rows() -> None:
    """chain_messages was keyed by delivery: a cascade's second and third attempts were lost."""
    op.create_table(
        "chain_messages_new",
        sa.Column("delivery_id", sa.String(36), primary_key=True),
        sa.Column("channel", sa.String(20), primary_key=True),
        sa.Column("chain_id", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("step", sa.String(50), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("segments", sa.Integer, nullable=False, server_default="1"),
        sa.Column("cost", sa.BigInteger, nullable=False),
    )
    op.execute(
        "INSERT INTO chain_messages_new "
        "(delivery_id, channel, chain_id, version, step, status, segments, cost) "
        "SELECT delivery_id, channel, chain_id, version, step, status, 1, cost FROM chain_messages"
    )
    op.drop_table("chain_messages")
    op.rename_table("chain_messages_new", "chain_messages")
    op.create_index("ix_chain_messages_chain_id", "chain_messages", ["chain_id"])


def downgrade() -> None:
    op.drop_index("ix_customer_purchases_customer_at", table_name="customer_purchases")
    op.drop_table("customer_purchases")
    op.drop_table("chain_redemptions")
    with op.batch_alter_table("conversions") as batch:
        batch.drop_index("ix_conversions_purchase_id")
        batch.drop_column("refunded")
    # The 64-bit columns and the per-attempt message rows stay: narrowing could lose data.
