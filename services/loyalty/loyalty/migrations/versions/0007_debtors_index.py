"""debtors are found by a partial index: credits settle their debt first

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    predicate = sa.text("debt > 0")
    op.create_index(
        "ix_members_in_debt", "members", ["id"], postgresql_where=predicate, sqlite_where=predicate
    )


def downgrade() -> None:
    op.drop_index("ix_members_in_debt", "members")
