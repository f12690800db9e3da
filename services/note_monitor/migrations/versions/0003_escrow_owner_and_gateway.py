"""An escrow's owner (a sender of its notes, registered again after a gateway lost its store) and the read
gateway that holds its key (each escrow lives on one gateway of PXE_READ_URL)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escrows") as batch:
        batch.add_column(sa.Column("owner", sa.String(66), nullable=True))
        batch.add_column(sa.Column("gateway", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("escrows") as batch:
        batch.drop_column("gateway")
        batch.drop_column("owner")
