"""Migrations: they build exactly the schema the models declare, on SQLite and PostgreSQL, and
upgrade a database from before migrations existed without losing a row."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, insert, inspect, select

from services.liquidation_engine import models as engine_models
from services.note_monitor import models as monitor_models
from services.price_service import models as price_models
from shared.migrations import Migrations, upgrade
from tests.fixtures.databases import tracked_database

ALL = [engine_models.MIGRATIONS, price_models.MIGRATIONS, monitor_models.MIGRATIONS]


def _drift(conn: Connection, migrations: Migrations) -> list[object]:
    ours = set(migrations.metadata.tables)
    context = MigrationContext.configure(conn, opts={"include_name": lambda name, kind, _p: kind != "table" or name in ours})
    return list(compare_metadata(context, migrations.metadata))


@pytest.mark.parametrize("migrations", ALL, ids=lambda m: m.version_table)
async def test_the_migrated_schema_is_the_one_the_models_declare(database_url: str, migrations: Migrations) -> None:
    db = tracked_database(database_url)
    await upgrade(db, migrations)
    await upgrade(db, migrations)  # a restart finds nothing to do
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_drift, migrations) == []


async def test_replicas_starting_together_migrate_once(postgres_url: str) -> None:
    dbs = [tracked_database(postgres_url) for _ in range(3)]
    await asyncio.gather(*(upgrade(db, m) for db in dbs for m in ALL))
    async with dbs[0].engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    assert {"liquidations", "engine_leases", "positions", "price_leases", "assets"} <= tables


async def test_a_database_from_before_migrations_is_upgraded_with_its_rows(tmp_path) -> None:
    db = tracked_database(f"sqlite+aiosqlite:///{tmp_path}/old.db")
    first_release = [t for name, t in price_models.Base.metadata.tables.items() if name != "price_leases"]
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: price_models.Base.metadata.create_all(c, tables=first_release))
        await conn.execute(insert(price_models.AssetRow).values(symbol="ETH", name="Ether", added_at=1))
    await upgrade(db, price_models.MIGRATIONS)
    async with db.engine.connect() as conn:
        assert (await conn.execute(select(price_models.AssetRow.symbol))).scalars().all() == ["ETH"]
        assert await conn.run_sync(_drift, price_models.MIGRATIONS) == []
