"""The first release's schema: every liquidation attempt."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "liquidations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("escrow", sa.String(66), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("health_factor", sa.String(80), nullable=False),
        sa.Column("repay_amount", sa.String(80), nullable=False),
        sa.Column("collateral_seized", sa.String(80), nullable=False),
        sa.Column("collateral_price", sa.String(80), nullable=False),
        sa.Column("debt_price", sa.String(80), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("collateral_before", sa.String(80), nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_liquidations_escrow", "liquidations", ["escrow"])
    op.create_index("ix_liquidations_status", "liquidations", ["status"])
    op.create_index("ix_liquidations_status_id", "liquidations", ["status", "id"])


def downgrade() -> None:
    op.drop_table("liquidations")
