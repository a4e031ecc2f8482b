"""the bonus ledger: tiers, lots, journal, purchases, allocations, returns, grants

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("tier", sa.String(32), nullable=False, server_default="base"))
        batch.add_column(
            sa.Column("trailing_spend", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("debt", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("lock_seq", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "lots",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("member_id", sa.String(36), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(200)),
        sa.Column("grant_id", sa.String(36)),
        sa.Column("initial", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("reserved", sa.BigInteger(), nullable=False),
        sa.Column("active_from", AT, nullable=False),
        sa.Column("expires_at", AT, nullable=False),
        sa.Column("restrictions", sa.JSON()),
        sa.Column("created_at", AT, nullable=False),
        sa.Column("expiring_notified_at", AT),
        sa.CheckConstraint(
            "0 <= reserved AND reserved <= remaining AND remaining <= initial", name="ck_lots_amounts"
        ),
    )
    op.create_index("ix_lots_member_expiry", "lots", ["member_id", "expires_at"])
    op.create_index("ix_lots_expires_at", "lots", ["expires_at"])
    op.create_index("ix_lots_grant_id", "lots", ["grant_id"])
    op.create_table(
        "operations",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("member_id", sa.String(36)),
        sa.Column("reference", sa.String(200)),
        sa.Column("created_at", AT, nullable=False),
    )
    op.create_table(
        "journal",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("operation_id", SERIAL, nullable=False),
        sa.Column("member_id", sa.String(36), nullable=False),
        sa.Column("lot_id", sa.String(36)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("held", sa.BigInteger(), nullable=False),
        sa.Column("debt", sa.BigInteger(), nullable=False),
        sa.Column("created_at", AT, nullable=False),
    )
    op.create_index("ix_journal_member_id", "journal", ["member_id"])
    op.create_index("ix_journal_lot_id", "journal", ["lot_id"])
    op.create_table(
        "purchases",
        sa.Column("txid", sa.String(64), primary_key=True),
        sa.Column("member_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("city", sa.String(120)),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
        sa.Column("redeemed_points", sa.BigInteger(), nullable=False),
        sa.Column("accrued_points", sa.BigInteger(), nullable=False),
        sa.Column("paid_amount", sa.BigInteger(), nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("accrual_lot_id", sa.String(36)),
        sa.Column("fingerprints", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("reserved_until", AT, nullable=False),
        sa.Column("created_at", AT, nullable=False),
        sa.Column("confirmed_at", AT),
    )
    op.create_index("ix_purchases_member_confirmed", "purchases", ["member_id", "confirmed_at"])
    op.create_index("ix_purchases_status_until", "purchases", ["status", "reserved_until"])
    op.create_table(
        "allocations",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("txid", sa.String(64), nullable=False),
        sa.Column("lot_id", sa.String(36), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("returned", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_allocations_txid", "allocations", ["txid"])
    op.create_table(
        "returns",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("txid", sa.String(64), nullable=False),
        sa.Column("return_id", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("created_at", AT, nullable=False),
        sa.UniqueConstraint("txid", "return_id", name="uq_returns_txid"),
    )
    op.create_table(
        "grants",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("answer", sa.JSON()),
        sa.Column("created_at", AT, nullable=False),
    )
    op.create_table(
        "idempotency_records",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("created_at", AT, nullable=False),
    )


def downgrade() -> None:
    for table in ("idempotency_records", "grants", "returns", "allocations", "purchases"):
        op.drop_table(table)
    for table in ("journal", "operations", "lots"):
        op.drop_table(table)
    with op.batch_alter_table("members") as batch:
        for column in ("lock_seq", "debt", "trailing_spend", "tier"):
            batch.drop_column(column)
