"""contacts, deliveries and the outbox

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from kit.migrations import create_plumbing_tables, drop_plumbing_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("customer_id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200)),
        sa.Column("email", sa.String(320)),
        sa.Column("phone", sa.String(32)),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("consents", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("idempotency_key", sa.String(300), nullable=False, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(36), nullable=False, index=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("template", sa.String(100), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
    )
    create_plumbing_tables()


def downgrade() -> None:
    drop_plumbing_tables()
    op.drop_table("deliveries")
    op.drop_table("contacts")
