"""old outbox rows, processed-event records and idempotency records are found for pruning by
an index

Revision ID: 0009
"""

from alembic import op

from kit.migrations import add_pruning_indexes, drop_pruning_indexes

revision = "0009"
down_revision = "0007"


def upgrade() -> None:
    add_pruning_indexes()
    op.create_index("ix_idempotency_records_created_at", "idempotency_records", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_records_created_at", "idempotency_records")
    drop_pruning_indexes()
