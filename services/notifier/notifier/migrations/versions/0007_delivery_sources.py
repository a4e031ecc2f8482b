"""deliveries are counted per source (a campaign's progress asks for its outcomes); contacts
flagged as test recipients receive test sends

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_index("ix_deliveries_source", "deliveries", ["source"])
    op.add_column(
        "contacts",
        sa.Column("test_recipient", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("test_recipient")
    op.drop_index("ix_deliveries_source", table_name="deliveries")
