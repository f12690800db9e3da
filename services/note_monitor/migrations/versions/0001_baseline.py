"""The first release's schema: escrows, their positions, removals, the version counter."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


ADDRESS = sa.String(66)
AMOUNT = sa.String(80)


def upgrade() -> None:
    op.create_table(
        "escrows",
        sa.Column("address", ADDRESS, primary_key=True),
        sa.Column("pool", ADDRESS, nullable=False),
        sa.Column("collateral_token", ADDRESS, nullable=False),
        sa.Column("debt_token", ADDRESS, nullable=False),
        sa.Column("collateral_asset", sa.String(32), nullable=False),
        sa.Column("debt_asset", sa.String(32), nullable=False),
        sa.Column("liquidation_threshold_bps", sa.Integer, nullable=False),
        sa.Column("has_secret_key", sa.Boolean, nullable=False),
        sa.Column("registered_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "positions",
        sa.Column("escrow", ADDRESS, primary_key=True),
        sa.Column("pool", ADDRESS, nullable=False),
        sa.Column("collateral_asset", sa.String(32), nullable=False),
        sa.Column("collateral_token", ADDRESS, nullable=False),
        sa.Column("collateral_amount", AMOUNT, nullable=False),
        sa.Column("debt_asset", sa.String(32), nullable=False),
        sa.Column("debt_token", ADDRESS, nullable=False),
        sa.Column("debt_principal", AMOUNT, nullable=False),
        sa.Column("debt_epoch", sa.BigInteger, nullable=False),
        sa.Column("liquidation_threshold_bps", sa.Integer, nullable=False),
        sa.Column("synced_at", sa.BigInteger, nullable=False),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_positions_version", "positions", ["version"])
    op.create_table(
        "position_removals",
        sa.Column("escrow", ADDRESS, primary_key=True),
        sa.Column("collateral_asset", sa.String(32), nullable=False),
        sa.Column("debt_asset", sa.String(32), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "monitor_meta",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("monitor_meta", "position_removals", "positions", "escrows"):
        op.drop_table(table)
