"""deliveries are counted per source (a campaign's progress asks for its outcomes)

Revision ID: 0007
"""

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_index("ix_deliveries_source", "deliveries", ["source"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_source", table_name="deliveries")
