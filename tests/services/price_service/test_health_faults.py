"""/health tells the truth when the work has stopped (issue 21): a database that refuses writes or lost its
schema answers every ping, yet nothing can be pushed or tracked; replicas with no leader push nothing.
Real SQLite and PostgreSQL, a real chain, the service in process."""

from __future__ import annotations

from contextlib import AsyncExitStack

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from devnet.chain.local import LocalChain
from tests.fixtures.recorder import Recorder
from tests.services.price_service.service_harness import AUTH, Cmc, running, settings_for, settle
from tests.services.price_service.test_leadership import TTL, within


async def test_a_database_that_lost_its_schema_is_unhealthy(local_chain: LocalChain, oracle_address: str, cmc: Cmc,
                                                            engine: Recorder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(local_chain.url, oracle_address, local_chain.keys[1], engine.url,
                            database_url=f"sqlite+aiosqlite:///{tmp_path}/price.db")
    async with running(settings) as (client, service):
        assert (await client.get("/health")).json()["checks"]["database"] == "ok"
        async with service.db.transaction() as session:  # recreated empty, as an operator's mistake would leave it
            await session.execute(text("DROP TABLE assets"))
        answer = await client.get("/health")
        assert answer.status_code == 503
        assert (answer.json()["status"], answer.json()["checks"]["database"]) == ("unhealthy", "schema missing")


async def test_a_read_only_database_leaves_no_leader_and_every_replica_says_so(
        local_chain: LocalChain, oracle_address: str, cmc: Cmc, engine: Recorder, postgres_url: str) -> None:
    def settings(name: str):  # type: ignore[no-untyped-def]
        return settings_for(local_chain.url, oracle_address, local_chain.keys[1], engine.url, database_url=postgres_url,
                            instance_id=name, price_lease_ttl=TTL)

    cmc.quote("BTC", "97000")
    async with AsyncExitStack() as stack:
        client_a, a = await stack.enter_async_context(running(settings("price-a")))
        client_b, b = await stack.enter_async_context(running(settings("price-b")))
        assert (await client_a.post("/assets", json={"symbol": "BTC"}, headers=AUTH)).status_code == 201
        await settle(a)
        assert [(await c.get("/health")).json()["checks"]["leader"] for c in (client_a, client_b)] == ["ok", "ok"]

        url = make_url(postgres_url)
        admin = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password,
                                      database="postgres")
        try:
            await admin.execute(f'ALTER DATABASE "{url.database}" SET default_transaction_read_only = on')
        finally:
            await admin.close()
        for service in (a, b):
            await service.db.engine.dispose()  # new sessions: the database's new default applies to them
        # Neither can write its lease: the leader's runs out (TTL), and then nobody holds it.
        await within(4 * TTL, lambda: a.leadership.leader_id is None and b.leadership.leader_id is None,
                     "the leader's lease to run out with nobody able to take it")
        for client in (client_a, client_b):
            body = (await client.get("/health")).json()
            assert body["status"] == "unhealthy" and body["checks"]["database"] == "read-only"
            assert body["role"] == "standby" and body["leaderId"] is None
            assert body["checks"]["leader"].startswith("none: no replica holds the leader lease")
