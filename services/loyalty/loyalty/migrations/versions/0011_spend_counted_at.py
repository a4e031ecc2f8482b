"""members carry the moment their stored spend was counted

The till's confirm takes the member's stored spend for the sum of the window's purchases while
the member's tier review is not due. That holds as time goes forward from the moment the spend
was counted: ``spend_counted_at``. Every member's stored spend is the window's now, unless their
review is due (then the confirm sums the window's purchases anyway), so existing members are
counted as of now.

Revision ID: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("spend_counted_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE members SET spend_counted_at = CURRENT_TIMESTAMP")


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_column("spend_counted_at")
