"""a campaign's holdout share and attribution window, and the members it went through with the
side each landed on, for campaign analytics against the holdout

Revision ID: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"


def upgrade() -> None:
    # Campaigns created before this hold nobody out: their runs were measured by nobody.
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(
            sa.Column("holdout_share", sa.Float, nullable=False, server_default=sa.text("0"))
        )
        batch.add_column(
            sa.Column(
                "attribution_window_days",
                sa.Integer,
                nullable=False,
                server_default=sa.text("14"),
            )
        )
    op.create_table(
        "campaign_members",
        sa.Column("campaign_id", sa.String(36), primary_key=True),
        sa.Column("customer_id", sa.String(36), primary_key=True),
        sa.Column("holdout", sa.Boolean, nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("campaign_members")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("attribution_window_days")
        batch.drop_column("holdout_share")
