"""The database's state as health reports it: a database that answers but refuses writes, or that lost its
schema, is not "ok" (the work has stopped although every ping answers)."""

from __future__ import annotations

from sqlalchemy import text

from tests.fixtures.databases import tracked_database


async def test_a_database_is_ok_then_read_only_then_without_its_schema(postgres_url: str) -> None:
    db = tracked_database(postgres_url)
    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS work (id INT)"))
    assert await db.state("work") == "ok" and await db.ping()
    name = postgres_url.rsplit("/", 1)[1]
    async with db.engine.connect() as conn:
        await conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        await conn.commit()
    await db.engine.dispose()  # new connections take the database's new default
    try:
        assert await db.state("work") == "read-only" and not await db.ping()
    finally:
        async with db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("SET default_transaction_read_only = off"))
            await conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off'))
        await db.engine.dispose()
    assert await db.state("work") == "ok"
    assert await db.state("no_such_table") == "schema missing"


async def test_a_database_nobody_answers_is_unreachable() -> None:
    db = tracked_database("postgresql+asyncpg://postgres@127.0.0.1:9/none")
    assert await db.state() == "unreachable"
