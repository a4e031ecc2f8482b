"""a chain's enrollments are paged newest first by (enrolled_at, id)

Revision ID: 0010
"""

from alembic import op

revision = "0010"
down_revision = "0006"


def upgrade() -> None:
    op.create_index(
        "ix_enrollments_chain_enrolled", "enrollments", ["chain_id", "enrolled_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_enrollments_chain_enrolled", table_name="enrollments")
