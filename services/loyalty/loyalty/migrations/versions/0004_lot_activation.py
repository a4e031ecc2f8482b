"""lots remember when they became spendable, so delayed activations are journalled once

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

AWAITING = sa.text("activated_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("lots") as batch:
        batch.add_column(sa.Column("activated_at", sa.DateTime(timezone=True)))
    # Lots that were spendable from the start need no activation entry; delayed ones, even
    # those whose time has passed, get theirs from the next sweep.
    op.execute("UPDATE lots SET activated_at = active_from WHERE active_from <= created_at")
    op.create_index(
        "ix_lots_awaiting_activation",
        "lots",
        ["active_from"],
        postgresql_where=AWAITING,
        sqlite_where=AWAITING,
    )


def downgrade() -> None:
    op.drop_index("ix_lots_awaiting_activation", "lots")
    with op.batch_alter_table("lots") as batch:
        batch.drop_column("activated_at")
