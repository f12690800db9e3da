"""The liquidations table: every attempt, persisted before its transaction is sent."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.leases import lease_table
from shared.migrations import Migrations

IN_FLIGHT = ("submitted", "unknown")
IN_FLIGHT_WHERE = "status IN ('submitted', 'unknown')"


class Base(DeclarativeBase):
    pass


class LiquidationRow(Base):
    __tablename__ = "liquidations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    escrow: Mapped[str] = mapped_column(String(66), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # submitted|unknown|succeeded|failed|skipped
    health_factor: Mapped[str] = mapped_column(String(80))
    repay_amount: Mapped[str] = mapped_column(String(80))
    collateral_seized: Mapped[str] = mapped_column(String(80))
    collateral_price: Mapped[str] = mapped_column(String(80))
    debt_price: Mapped[str] = mapped_column(String(80))
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The escrow's collateral when an attempt's outcome became unknown: a re-read tells what happened.
    collateral_before: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    # The engine instance (INSTANCE_ID) that claimed the attempt and resolves it; another takes it over
    # once that engine's membership lease has expired.
    engine: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # A failed or skipped attempt's cooldown end, in milliseconds on the database's clock: every engine
    # on the database leaves the escrow alone until then.
    cool_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # A success's block: no engine claims the escrow again before its own view of it is at least this new.
    mined_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        Index("ix_liquidations_status_id", "status", "id"),
        # The database itself refuses a second attempt in flight for one escrow, whichever engine asks.
        Index("uq_liquidations_in_flight", "escrow", unique=True,
              sqlite_where=text(IN_FLIGHT_WHERE), postgresql_where=text(IN_FLIGHT_WHERE)),
    )


leases = lease_table(Base.metadata, "engine_leases")

MIGRATIONS = Migrations("services.liquidation_engine.migrations", "alembic_version_engine", Base.metadata, "liquidations")
