"""a contact's language and a saved template's texts in other languages

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"


def upgrade() -> None:
    op.add_column("contacts", sa.Column("language", sa.String(8), nullable=True))
    op.add_column("templates", sa.Column("translations", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("templates") as batch:
        batch.drop_column("translations")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("language")
