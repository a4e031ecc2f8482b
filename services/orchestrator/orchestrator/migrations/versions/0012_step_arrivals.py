"""each step an enrollment reaches, its current step and the step it left from, for per-step
analytics

Revision ID: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"


def upgrade() -> None:
    op.create_table(
        "step_arrivals",
        sa.Column("workflow_id", sa.String(200), primary_key=True),
        sa.Column("enrollment_key", sa.String(36), primary_key=True),
        sa.Column("step", sa.String(50), primary_key=True),
        sa.Column("visit", sa.Integer, primary_key=True),
        sa.Column("chain_id", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("holdout", sa.Boolean, nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_step_arrivals_chain_version", "step_arrivals", ["chain_id", "version"])
    with op.batch_alter_table("enrollments") as batch:
        batch.add_column(sa.Column("step", sa.String(50), nullable=True))
        batch.add_column(sa.Column("exit_step", sa.String(50), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("enrollments") as batch:
        batch.drop_column("exit_step")
        batch.drop_column("step")
    op.drop_index("ix_step_arrivals_chain_version", table_name="step_arrivals")
    op.drop_table("step_arrivals")
