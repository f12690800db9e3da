"""The revision body that gives a service its table of leases (shared/leases.py), the same in each service."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create_lease_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("name", sa.String(160), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )


def drop_lease_table(name: str) -> None:
    op.drop_table(name)
