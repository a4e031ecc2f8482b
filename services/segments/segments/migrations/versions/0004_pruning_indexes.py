"""old outbox rows and processed-event records are found for pruning by an index

Revision ID: 0004
"""

from kit.migrations import add_pruning_indexes, drop_pruning_indexes

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    add_pruning_indexes()


def downgrade() -> None:
    drop_pruning_indexes()
