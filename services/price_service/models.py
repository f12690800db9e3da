"""Tables of the price service: tracked assets, and small facts such as the deployed oracle."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.leases import lease_table
from shared.migrations import Migrations


class Base(DeclarativeBase):
    pass


class AssetRow(Base):
    __tablename__ = "assets"

    symbol: Mapped[str] = mapped_column(String(15), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[int] = mapped_column(BigInteger)


class MetaRow(Base):
    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class FeedUpdateRow(Base):
    """When this service last set an asset's price on a feed that keeps no time (nocom-v1's MockPriceFeed)."""

    __tablename__ = "feed_updates"

    symbol: Mapped[str] = mapped_column(String(15), primary_key=True)
    price: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)


leases = lease_table(Base.metadata, "price_leases")

MIGRATIONS = Migrations("services.price_service.migrations", "alembic_version_price", Base.metadata, "assets")
