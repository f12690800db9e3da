"""The block a successful liquidation was mined in: an engine claims that escrow again only once its own
view of the escrow is at least that new, so a success is seen by every engine before anyone tries again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("liquidations") as batch:
        batch.add_column(sa.Column("mined_block", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("liquidations") as batch:
        batch.drop_column("mined_block")
