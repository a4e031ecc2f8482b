"""enrollments and the outbox

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from kit.migrations import create_plumbing_tables, drop_plumbing_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "enrollments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("chain_id", sa.String(100), nullable=False),
        sa.Column("customer_id", sa.String(36), nullable=False, index=True),
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("trigger_event_id", sa.String(36), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("workflow_id", "trigger_event_id"),
    )
    create_plumbing_tables()


def downgrade() -> None:
    drop_plumbing_tables()
    op.drop_table("enrollments")
