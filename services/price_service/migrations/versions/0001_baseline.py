"""The first release's schema: tracked assets, facts such as the deployed oracle, feed updates."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("symbol", sa.String(15), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("added_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
    op.create_table(
        "feed_updates",
        sa.Column("symbol", sa.String(15), primary_key=True),
        sa.Column("price", sa.String(80), nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=True),
    )


def downgrade() -> None:
    for table in ("feed_updates", "meta", "assets"):
        op.drop_table(table)
