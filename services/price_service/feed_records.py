"""When this service set each price on a feed that keeps no time (the `feed_updates` table)."""

from __future__ import annotations

from sqlalchemy import select

from services.price_service.feeds.aztec import Record
from services.price_service.models import FeedUpdateRow
from shared.db import Database


class FeedRecords:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def load(self) -> list[Record]:
        async with self.db.session() as session:
            rows = (await session.execute(select(FeedUpdateRow))).scalars()
            return [(r.symbol, int(r.price), r.updated_at, r.tx_hash) for r in rows]

    async def save(self, records: list[Record]) -> None:
        async with self.db.transaction() as session:
            for symbol, price, updated_at, tx_hash in records:
                await session.merge(FeedUpdateRow(symbol=symbol, price=str(price), updated_at=updated_at, tx_hash=tx_hash))
