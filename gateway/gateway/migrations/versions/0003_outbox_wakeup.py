"""the outbox wakes its relay at commit instead of being polled

Revision ID: 0003
"""

from kit.migrations import add_outbox_wakeup, drop_outbox_wakeup

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    add_outbox_wakeup()


def downgrade() -> None:
    drop_outbox_wakeup()
