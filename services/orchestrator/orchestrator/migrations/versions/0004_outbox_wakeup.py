"""the outbox wakes its relay at commit instead of being polled

Revision ID: 0004
"""

from kit.migrations import add_outbox_wakeup, drop_outbox_wakeup

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    add_outbox_wakeup()


def downgrade() -> None:
    drop_outbox_wakeup()
