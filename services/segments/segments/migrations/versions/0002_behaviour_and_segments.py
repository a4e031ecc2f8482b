"""behaviour projection, purchases, segments and memberships

Revision ID: 0002
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

_TS = sa.DateTime(timezone=True)
# The built-in segments, as data: their members are computed, their definitions are settings.
BUILTIN = [
    ("recency.active", "recency", "Active"),
    ("recency.cooling", "recency", "Cooling"),
    ("recency.sleeping", "recency", "Sleeping"),
    ("recency.at_risk", "recency", "At risk"),
    ("recency.lost", "recency", "Lost"),
    ("recency.never_bought", "recency", "Never bought"),
    ("rfm.champions", "rfm", "Champions"),
    ("rfm.loyal", "rfm", "Loyal"),
    ("rfm.potential_loyalists", "rfm", "Potential loyalists"),
    ("rfm.new", "rfm", "New customers"),
    ("rfm.promising", "rfm", "Promising"),
    ("rfm.need_attention", "rfm", "Need attention"),
    ("rfm.about_to_sleep", "rfm", "About to sleep"),
    ("rfm.at_risk", "rfm", "At risk"),
    ("rfm.cannot_lose", "rfm", "Cannot lose them"),
    ("rfm.hibernating", "rfm", "Hibernating"),
    ("rfm.lost", "rfm", "Lost"),
]


def _profile_columns() -> list[sa.Column]:
    false = sa.false()
    return [
        sa.Column("attributes_as_of", _TS),
        sa.Column("birthday_doy", sa.Integer()),
        sa.Column("sub_email", sa.Boolean(), nullable=False, server_default=false),
        sa.Column("sub_sms", sa.Boolean(), nullable=False, server_default=false),
        sa.Column("sub_push", sa.Boolean(), nullable=False, server_default=false),
        sa.Column("sub_messenger", sa.Boolean(), nullable=False, server_default=false),
        sa.Column("tier", sa.String(40)),
        sa.Column("tier_as_of", _TS),
        sa.Column("first_purchase_at", _TS),
        sa.Column("last_purchase_at", _TS),
        sa.Column("last_purchase_day", sa.Integer()),
        sa.Column("purchase_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("lifetime_spend", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("last_store_id", sa.String(64)),
        sa.Column("last_channel", sa.String(16)),
        sa.Column("last_message_at", _TS),
        sa.Column("last_engaged_at", _TS),
        sa.Column("cart_total", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("cart_as_of", _TS),
        sa.Column("last_viewed_at", _TS),
    ]


def upgrade() -> None:
    with op.batch_alter_table("customer_profiles") as batch:
        for column in _profile_columns():
            batch.add_column(column)
    op.create_table(
        "purchases",
        sa.Column("txid", sa.String(128), primary_key=True),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("purchased_at", _TS, nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("city", sa.String(120)),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
        sa.Column("net_amount", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_purchases_customer_time", "purchases", ["customer_id", "purchased_at"])
    op.create_table(
        "purchase_categories",
        sa.Column("txid", sa.String(128), primary_key=True),
        sa.Column("category", sa.String(120), primary_key=True),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("purchased_at", _TS, nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
    )
    op.create_index(
        "ix_purchase_categories_lookup", "purchase_categories", ["category", "purchased_at"]
    )
    op.create_table(
        "purchase_returns",
        sa.Column("return_id", sa.String(128), primary_key=True),
        sa.Column("txid", sa.String(128), nullable=False),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("returned_at", _TS, nullable=False),
    )
    op.create_index("ix_purchase_returns_txid", "purchase_returns", ["txid"])
    op.create_table("time_zones", sa.Column("time_zone", sa.String(64), primary_key=True))
    segments = op.create_table(
        "segments",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON()),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "segment_memberships",
        sa.Column("segment_id", sa.String(64), primary_key=True),
        sa.Column("customer_id", sa.String(36), primary_key=True),
        sa.Column("entered_at", _TS, nullable=False),
    )
    op.create_index(
        "ix_segment_memberships_customer_id", "segment_memberships", ["customer_id"]
    )
    now = datetime.now(UTC)
    rows = [
        {"id": i, "kind": k, "name": n, "version": 1, "created_at": now, "updated_at": now}
        for i, k, n in BUILTIN
    ]
    assert segments is not None
    op.bulk_insert(segments, rows)


def downgrade() -> None:
    for table in (
        "segment_memberships",
        "segments",
        "time_zones",
        "purchase_returns",
        "purchase_categories",
        "purchases",
    ):
        op.drop_table(table)
    with op.batch_alter_table("customer_profiles") as batch:
        for column in _profile_columns():
            batch.drop_column(column.name)
