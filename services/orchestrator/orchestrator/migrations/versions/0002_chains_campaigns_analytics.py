"""chain definitions and versions, richer enrollments, campaigns, analytics projections;
the built-in welcome chain published as version 1

Revision ID: 0002
"""

import json

import sqlalchemy as sa
from alembic import op

from orchestrator.definitions.builtin import BUILT_IN, PUBLISHED_AT_INSTALL

revision = "0002"
down_revision = "0001"

NOW = sa.func.current_timestamp()


def upgrade() -> None:
    op.create_table(
        "chains",
        sa.Column("id", sa.String(50), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("draft", sa.JSON, nullable=False),
        sa.Column("active_version", sa.Integer, nullable=True),
        sa.Column("trigger_key", sa.String(50), nullable=True, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "chain_versions",
        sa.Column("chain_id", sa.String(50), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("enrollments") as batch:
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("holdout", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("status", sa.String(20), nullable=False, server_default="active"))
        batch.add_column(sa.Column("exit_reason", sa.String(60), nullable=True))
        batch.add_column(sa.Column("touches", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_touch_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("exited_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_enrollments_customer_status", ["customer_id", "status"])
        batch.create_index("ix_enrollments_chain_version", ["chain_id", "version"])
    op.create_table(
        "customer_facts",
        sa.Column("customer_id", sa.String(36), primary_key=True),
        sa.Column("purchase_count", sa.Integer, nullable=False),
        sa.Column("last_purchase_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "chain_messages",
        sa.Column("delivery_id", sa.String(36), primary_key=True),
        sa.Column("chain_id", sa.String(100), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("step", sa.String(50), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("cost", sa.Integer, nullable=False),
    )
    op.create_table(
        "chain_grants",
        sa.Column("grant_id", sa.String(36), primary_key=True),
        sa.Column("chain_id", sa.String(100), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("step", sa.String(50), nullable=False),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
    )
    op.create_table(
        "conversions",
        sa.Column("enrollment_id", sa.String(36), primary_key=True),
        sa.Column("chain_id", sa.String(100), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("holdout", sa.Boolean, nullable=False),
        sa.Column("purchase_id", sa.String(100), nullable=False),
        sa.Column("revenue", sa.Integer, nullable=False),
        sa.Column("redeemed_points", sa.Integer, nullable=False),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("segment", sa.String(100), nullable=False),
        sa.Column("grant", sa.JSON, nullable=True),
        sa.Column("message", sa.JSON, nullable=True),
        sa.Column("rate_per_second", sa.Integer, nullable=False),
        sa.Column("batch_size", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.Column("processed", sa.Integer, nullable=False),
        sa.Column("granted", sa.Integer, nullable=False),
        sa.Column("sent", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    _publish_built_ins()


def _publish_built_ins() -> None:
    chains = sa.table(
        "chains",
        sa.column("id"), sa.column("name"), sa.column("status"), sa.column("draft", sa.JSON),
        sa.column("active_version"), sa.column("trigger_key"),
        sa.column("created_at"), sa.column("updated_at"),
    )
    versions = sa.table(
        "chain_versions",
        sa.column("chain_id"), sa.column("version"), sa.column("definition", sa.JSON),
        sa.column("published_at"),
    )
    for chain_id in PUBLISHED_AT_INSTALL:
        definition = json.loads(BUILT_IN[chain_id].model_dump_json())
        trigger = BUILT_IN[chain_id].trigger
        key = getattr(trigger, "event", None) or trigger.kind
        op.execute(
            chains.insert().values(
                id=chain_id, name=definition["name"], status="active", draft=definition,
                active_version=1, trigger_key=key, created_at=NOW, updated_at=NOW,
            )
        )
        op.execute(
            versions.insert().values(
                chain_id=chain_id, version=1, definition=definition, published_at=NOW
            )
        )


def downgrade() -> None:
    for table in ("campaigns", "conversions", "chain_grants", "chain_messages", "customer_facts"):
        op.drop_table(table)
    with op.batch_alter_table("enrollments") as batch:
        batch.drop_index("ix_enrollments_chain_version")
        batch.drop_index("ix_enrollments_customer_status")
        for column in ("exited_at", "last_touch_at", "touches", "exit_reason", "status", "holdout", "version"):
            batch.drop_column(column)
    op.drop_table("chain_versions")
    op.drop_table("chains")
