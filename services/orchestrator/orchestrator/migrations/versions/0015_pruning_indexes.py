"""old outbox rows and processed-event records are found for pruning by an index

Revision ID: 0015
"""

from kit.migrations import add_pruning_indexes, drop_pruning_indexes

revision = "0015"
down_revision = "0012"


def upgrade() -> None:
    add_pruning_indexes()


def downgrade() -> None:
    drop_pruning_indexes()
