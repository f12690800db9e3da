"""SQLAlchemy async storage; SQLite by default, `DATABASE_URL` may point at PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from sqlalchemy import MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

DatabaseState = Literal["ok", "unreachable", "read-only", "schema missing"]


class Database:
    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = create_async_engine(url, pool_pre_ping=not self.is_sqlite)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def create_all(self, metadata: MetaData) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session, session.begin():
            yield session

    async def ping(self) -> bool:
        return await self.state() == "ok"

    async def state(self, table: str | None = None) -> DatabaseState:
        """Whether the service can do its work here: the database answers, takes writes (a PostgreSQL
        turned read-only answers every read and refuses every write), and holds `table` (a database
        recreated empty answers too, but every request would fail)."""
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
                if not self.is_sqlite and (await conn.exec_driver_sql("SHOW transaction_read_only")).scalar() == "on":
                    return "read-only"
                if table is not None:
                    try:
                        await conn.exec_driver_sql(f'SELECT 1 FROM "{table}" LIMIT 1')
                    except Exception:  # noqa: BLE001 - the table is gone: the schema is not there
                        return "schema missing"
            return "ok"
        except Exception:  # noqa: BLE001 - any other failure is "unreachable" here
            return "unreachable"

    async def close(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL keeps readers going during writes; synchronous=NORMAL is durable across process crashes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def database_password(url: str) -> str:
    """The password of a database URL, '' when it names none (a user alone is no secret)."""
    rest = url.split("://", 1)[-1]
    if "@" not in rest:
        return ""
    credentials = rest.rsplit("@", 1)[0]
    return credentials.split(":", 1)[1] if ":" in credentials else ""


def without_password(url: str) -> str:
    """The URL with its password as ***, whatever its length (the log masker skips short strings)."""
    password = database_password(url)
    if not password:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"
