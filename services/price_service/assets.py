"""The asset registry: validated, capped, persisted; reads served from memory."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from services.price_service.models import AssetRow, MetaRow
from shared.db import Database


@dataclass(frozen=True)
class Asset:
    symbol: str
    name: str
    added_at: int


class AssetExists(Exception):
    pass


class AssetLimitReached(Exception):
    pass


class AssetNotFound(Exception):
    pass


class AssetRegistry:
    def __init__(self, db: Database, max_assets: int) -> None:
        self._db = db
        self._max = max_assets
        self._assets: dict[str, Asset] = {}
        self._lock = asyncio.Lock()

    async def load(self) -> list[str]:
        """Read the assets from the database (at start; replicas at every cycle); the symbols gone since."""
        async with self._lock, self._db.session() as session:
            rows = (await session.execute(select(AssetRow).order_by(AssetRow.added_at, AssetRow.symbol))).scalars()
            before, self._assets = self._assets, {r.symbol: Asset(r.symbol, r.name, r.added_at) for r in rows}
        return [s for s in before if s not in self._assets]

    @property
    def max_assets(self) -> int:
        return self._max

    def all(self) -> list[Asset]:
        return list(self._assets.values())

    def symbols(self) -> list[str]:
        return list(self._assets)

    def get(self, symbol: str) -> Asset | None:
        return self._assets.get(symbol)

    async def add(self, symbol: str, name: str, now: int) -> Asset:
        async with self._lock:
            if symbol in self._assets:
                raise AssetExists(symbol)
            if len(self._assets) >= self._max:
                raise AssetLimitReached(self._max)
            asset = Asset(symbol, name, now)
            try:
                async with self._db.transaction() as session:
                    session.add(AssetRow(symbol=symbol, name=name, added_at=now))
            except IntegrityError:
                raise AssetExists(symbol) from None
            self._assets[symbol] = asset
            return asset

    async def remove(self, symbol: str) -> Asset:
        async with self._lock:
            asset = self._assets.get(symbol)
            if asset is None:
                raise AssetNotFound(symbol)
            async with self._db.transaction() as session:
                await session.execute(delete(AssetRow).where(AssetRow.symbol == symbol))
            del self._assets[symbol]
            return asset

    async def get_meta(self, key: str) -> str | None:
        async with self._db.session() as session:
            row = await session.get(MetaRow, key)
            return row.value if row else None

    async def set_meta(self, key: str, value: str) -> None:
        async with self._db.transaction() as session:
            await session.merge(MetaRow(key=key, value=value))
