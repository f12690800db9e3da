"""Engines sharing one database: the claiming engine of each attempt, shared cooldowns, and at most
one attempt in flight per escrow enforced by a partial unique index.

An old database may hold several in-flight rows for one escrow (two engines run on it before this
revision): all but the newest are settled as failed first, so the index can be built.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

IN_FLIGHT_WHERE = "status IN ('submitted', 'unknown')"
SUPERSEDED = "Superseded at upgrade: a newer attempt for this escrow was in flight"


def upgrade() -> None:
    op.execute(sa.text(
        "UPDATE liquidations SET status = 'failed', error = :error "
        f"WHERE {IN_FLIGHT_WHERE} AND id < (SELECT MAX(newer.id) FROM liquidations AS newer "
        "WHERE newer.escrow = liquidations.escrow AND newer.status IN ('submitted', 'unknown'))"
    ).bindparams(error=SUPERSEDED))
    with op.batch_alter_table("liquidations") as batch:
        batch.add_column(sa.Column("engine", sa.String(128), nullable=True))
        batch.add_column(sa.Column("cool_until", sa.BigInteger, nullable=True))
    op.create_index("uq_liquidations_in_flight", "liquidations", ["escrow"], unique=True,
                    sqlite_where=sa.text(IN_FLIGHT_WHERE), postgresql_where=sa.text(IN_FLIGHT_WHERE))


def downgrade() -> None:
    op.drop_index("uq_liquidations_in_flight", "liquidations")
    with op.batch_alter_table("liquidations") as batch:
        batch.drop_column("cool_until")
        batch.drop_column("engine")
