"""the sweep's scans read only the lots a step may still act on

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"

PARTIAL = {
    "ix_lots_burnable": "remaining > 0",
    "ix_lots_unwarned": "expiring_notified_at IS NULL AND remaining > 0",
}


def upgrade() -> None:
    op.drop_index("ix_lots_expires_at", "lots")
    for name, where in PARTIAL.items():
        predicate = sa.text(where)
        op.create_index(
            name, "lots", ["expires_at"], postgresql_where=predicate, sqlite_where=predicate
        )


def downgrade() -> None:
    for name in PARTIAL:
        op.drop_index(name, "lots")
    op.create_index("ix_lots_expires_at", "lots", ["expires_at"])
