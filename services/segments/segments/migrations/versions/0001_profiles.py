"""customer profiles and the outbox

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from kit.migrations import create_plumbing_tables, drop_plumbing_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "customer_profiles",
        sa.Column("customer_id", sa.String(36), primary_key=True),
        sa.Column("registered_at", sa.DateTime(timezone=True)),
        sa.Column("city", sa.String(120)),
        sa.Column("birthday", sa.Date()),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("subscribed_channels", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    create_plumbing_tables()


def downgrade() -> None:
    drop_plumbing_tables()
    op.drop_table("customer_profiles")
