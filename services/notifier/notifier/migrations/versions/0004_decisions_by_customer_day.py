"""policy decisions indexed by customer and time: a Redis that lost its counters is seeded
from the day's decisions

Revision ID: 0004
"""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_index(
        "ix_policy_decisions_customer_decided",
        "policy_decisions",
        ["customer_id", "decided_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_policy_decisions_customer_decided", table_name="policy_decisions")
