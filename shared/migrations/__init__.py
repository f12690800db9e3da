"""Schema migrations (Alembic), applied by each service at start, for SQLite and PostgreSQL alike.

Each service keeps its own revisions (`services/<service>/migrations/versions`) and its own version table,
so the three services can share one PostgreSQL database. Replicas starting together serialise on
an advisory lock; a database created before migrations existed (by `create_all`) is recognised by
its tables and stamped at the baseline before it is upgraded.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import weakref
from dataclasses import dataclass
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData, inspect, text

from shared.db import Database

BASELINE = "0001"

# Alembic keeps its running context in module globals: one migration at a time per process.
_process_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Migrations:
    package: str  # the service's migrations package, e.g. "services.liquidation_engine.migrations"
    version_table: str
    metadata: MetaData
    baseline_table: str  # a table the baseline creates: found without a version table, the schema predates migrations


def _config(migrations: Migrations, connection: Connection) -> Config:
    location = Path(importlib.import_module(migrations.package).__file__ or "").parent
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))  # env.py and the template: one for all
    config.set_main_option("version_locations", str(location / "versions"))
    config.attributes["migrations"] = migrations
    config.attributes["connection"] = connection
    return config


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _upgrade(connection: Connection, migrations: Migrations) -> None:
    config = _config(migrations, connection)
    tables = set(inspect(connection).get_table_names())
    if migrations.version_table not in tables and migrations.baseline_table in tables:
        command.stamp(config, BASELINE)
    command.upgrade(config, "head")


async def upgrade(db: Database, migrations: Migrations) -> None:
    """Bring the schema to the newest revision; safe to run from several replicas at once."""
    lock = _process_locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with lock, db.engine.begin() as conn:
        if not db.is_sqlite:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(migrations.version_table)})
        await conn.run_sync(_upgrade, migrations)


def run_env() -> None:
    """The body of the one `env.py`: online, on the connection `upgrade` hands over."""
    migrations: Migrations = context.config.attributes["migrations"]
    context.configure(
        connection=context.config.attributes["connection"],
        target_metadata=migrations.metadata,
        version_table=migrations.version_table,
        render_as_batch=True,  # SQLite alters a table by copying it
    )
    with context.begin_transaction():
        context.run_migrations()
