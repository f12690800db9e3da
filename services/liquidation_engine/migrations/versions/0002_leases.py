"""Leases, so replicas on one database agree on who leads and who holds what."""

from __future__ import annotations

from shared.migrations.leases import create_lease_table, drop_lease_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_lease_table("engine_leases")


def downgrade() -> None:
    drop_lease_table("engine_leases")
