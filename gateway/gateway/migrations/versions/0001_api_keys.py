"""API keys and the outbox

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from kit.migrations import create_plumbing_tables, drop_plumbing_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("store_id", sa.String(100)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    create_plumbing_tables()


def downgrade() -> None:
    drop_plumbing_tables()
    op.drop_table("api_keys")
