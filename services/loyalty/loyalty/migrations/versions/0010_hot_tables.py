"""the ledger's tables are vacuumed and analysed once 2 % of their rows changed

Every purchase updates its member, two lot rows and its purchase, and inserts a lot, an
operation, journal entries, allocations and an event. At PostgreSQL's default thresholds
(20 % dead rows, 10 % changed for statistics) the till's cached plans kept scanning tables as
they were when small, through the dead rows (docs/operations.md, "PostgreSQL upkeep").

Revision ID: 0010
"""

from kit.migrations import forget_hot_tables, keep_hot_tables_fresh

revision = "0010"
down_revision = "0009"

LEDGER = ("members", "lots", "purchases", "allocations", "operations", "journal", "outbox")


def upgrade() -> None:
    keep_hot_tables_fresh(*LEDGER)


def downgrade() -> None:
    forget_hot_tables(*LEDGER)
