"""the global control group's share over time, and the customers the programme knows

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "control_group_shares",
        sa.Column("effective_from", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("share_bp", sa.Integer, nullable=False),
    )
    op.create_table(
        "programme_members",
        sa.Column("customer_id", sa.String(36), primary_key=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("programme_members")
    op.drop_table("control_group_shares")
