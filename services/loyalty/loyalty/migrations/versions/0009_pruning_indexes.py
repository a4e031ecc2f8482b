"""old outbox rows, processed-event records and idempotency records are found for pruning by
an index

Revision ID: 0009
"""

import sqlalchemy as sa
from alembic import op

from kit.migrations import add_pruning_indexes, drop_pruning_indexes

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    records = sa.Table("idempotency_records", sa.MetaData(), sa.Column("created_at", sa.DateTime))
    add_pruning_indexes(sa.Index("ix_idempotency_records_created_at", records.c.created_at))


def downgrade() -> None:
    op.drop_index("ix_idempotency_records_created_at", "idempotency_records")
    drop_pruning_indexes()
