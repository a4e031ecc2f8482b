"""consent history, templates, policies, decisions, cascade attempts

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.add_column("contacts", sa.Column("push_tokens", sa.JSON(), nullable=True))
    for column in (
        sa.Column("channels", sa.JSON(), nullable=True),
        sa.Column("critical", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("variables", sa.JSON(), nullable=True),
        sa.Column(
            "sms_only_if_no_other_channel", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
        _at("deferred_until", nullable=True),
    ):
        op.add_column("deliveries", column)
    op.create_table(
        "consent_changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.String(36), nullable=False, index=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        _at("changed_at"),
    )
    op.create_table(
        "templates",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("subject", sa.String(300)),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        _at("updated_at"),
    )
    op.create_table(
        "policies",
        sa.Column("scope", sa.String(200), primary_key=True),
        sa.Column("daily_cap", sa.Integer(), nullable=False),
        sa.Column("min_pause_seconds", sa.Integer(), nullable=False),
        sa.Column("quiet_start", sa.String(5), nullable=False),
        sa.Column("quiet_end", sa.String(5), nullable=False),
        sa.Column("over_cap", sa.String(8), nullable=False),
        _at("updated_at"),
    )
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column(
            "delivery_id",
            sa.String(36),
            sa.ForeignKey("deliveries.id", name="fk_delivery_attempts_delivery_id_deliveries"),
            nullable=False,
            index=True,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(200)),
        sa.Column("provider_message_id", sa.String(200)),
        sa.Column("cost", sa.Integer(), nullable=False, server_default="0"),
        _at("created_at"),
        _at("sent_at", nullable=True),
        _at("delivered_at", nullable=True),
        _at("opened_at", nullable=True),
        _at("clicked_at", nullable=True),
    )
    op.create_table(
        "policy_decisions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(36), nullable=False, index=True),
        sa.Column("customer_id", sa.String(36), nullable=False, index=True),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(100), nullable=False),
        _at("decided_at"),
        _at("until", nullable=True),
    )


def downgrade() -> None:
    for table in ("policy_decisions", "delivery_attempts", "policies", "templates"):
        op.drop_table(table)
    op.drop_table("consent_changes")
    with op.batch_alter_table("deliveries") as batch:
        for name in (
            "deferred_until",
            "sms_only_if_no_other_channel",
            "variables",
            "critical",
            "channels",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("push_tokens")
