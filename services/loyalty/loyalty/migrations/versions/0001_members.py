"""members and the outbox

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from kit.migrations import create_plumbing_tables, drop_plumbing_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("phone", sa.String(32), unique=True),
        sa.Column("email", sa.String(320), unique=True),
        sa.Column("name", sa.String(200)),
        sa.Column("birthday", sa.Date()),
        sa.Column("city", sa.String(120)),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("consents", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    create_plumbing_tables()


def downgrade() -> None:
    drop_plumbing_tables()
    op.drop_table("members")
