"""members carry the moment their oldest counted spend leaves the tier window

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"

SCHEDULED = sa.text("tier_review_at IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("tier_review_at", sa.DateTime(timezone=True)))
    # Every member who ever bought is due at once: the first sweep reviews each and schedules
    # the next review from the purchases still in the window.
    op.execute(
        """
        UPDATE members SET tier_review_at = (
            SELECT MIN(purchases.confirmed_at) FROM purchases
            WHERE purchases.member_id = members.id AND purchases.status = 'confirmed')
        """
    )
    op.create_index(
        "ix_members_tier_review_at",
        "members",
        ["tier_review_at"],
        postgresql_where=SCHEDULED,
        sqlite_where=SCHEDULED,
    )


def downgrade() -> None:
    op.drop_index("ix_members_tier_review_at", "members")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("tier_review_at")
