"""Tables of the note-monitor database. Amounts are decimal strings: they exceed 64-bit integers.

No column holds a secret key: the PXE keeps it; the monitor keeps only `has_secret_key`.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Integer, MetaData, String, Table

from shared.leases import lease_table
from shared.migrations import Migrations

ADDRESS = String(66)
AMOUNT = String(80)

metadata = MetaData()

escrows = Table(
    "escrows",
    metadata,
    Column("address", ADDRESS, primary_key=True),
    Column("pool", ADDRESS, nullable=False),
    Column("collateral_token", ADDRESS, nullable=False),
    Column("debt_token", ADDRESS, nullable=False),
    Column("collateral_asset", String(32), nullable=False),
    Column("debt_asset", String(32), nullable=False),
    Column("liquidation_threshold_bps", Integer, nullable=False),
    Column("has_secret_key", Boolean, nullable=False),
    Column("registered_at", BigInteger, nullable=False),
    Column("owner", ADDRESS, nullable=True),
    Column("gateway", String(300), nullable=True),  # a PXE_READ_URL entry, without credentials
)

positions = Table(
    "positions",
    metadata,
    Column("escrow", ADDRESS, primary_key=True),
    Column("pool", ADDRESS, nullable=False),
    Column("collateral_asset", String(32), nullable=False),
    Column("collateral_token", ADDRESS, nullable=False),
    Column("collateral_amount", AMOUNT, nullable=False),
    Column("debt_asset", String(32), nullable=False),
    Column("debt_token", ADDRESS, nullable=False),
    Column("debt_principal", AMOUNT, nullable=False),
    Column("debt_epoch", BigInteger, nullable=False),
    Column("liquidation_threshold_bps", Integer, nullable=False),
    Column("synced_at", BigInteger, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("version", BigInteger, nullable=False, index=True),
)

# Tombstones of removed positions, so `sinceVersion` reports removals across restarts too.
position_removals = Table(
    "position_removals",
    metadata,
    Column("escrow", ADDRESS, primary_key=True),
    Column("collateral_asset", String(32), nullable=False),
    Column("debt_asset", String(32), nullable=False),
    Column("version", BigInteger, nullable=False),
)

meta = Table(
    "monitor_meta",
    metadata,
    Column("key", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

VERSION_KEY = "version"

leases = lease_table(metadata, "monitor_leases")

MIGRATIONS = Migrations("services.note_monitor.migrations", "alembic_version_monitor", metadata, "escrows")
