"""Price services sharing a database: one leads and pushes, the others stand by (issue 14).

The lease logic on SQLite and PostgreSQL; two services in one process on PostgreSQL: the standby
fetches but never sends, takes over when the leader stops, and a leader that loses its lease stops
sending at once. The process-level proof (kill -9) is in test_failover.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AsyncExitStack

from sqlalchemy import update

from devnet.chain.local import LocalChain
from services.price_service.models import MIGRATIONS, leases
from services.price_service.service import LEADER_LEASE
from shared.leases import Leadership
from shared.migrations import upgrade
from tests.fixtures.databases import tracked_database
from tests.fixtures.recorder import Recorder
from tests.services.price_service.service_harness import AUTH, Cmc, read_onchain, running, settings_for, settle

TTL = 1.0


async def within(seconds: float, check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        await asyncio.sleep(0.05)


async def _leaderships(database_url: str) -> tuple[Leadership, Leadership]:
    db = tracked_database(database_url)
    await upgrade(db, MIGRATIONS)
    a = Leadership(db, leases, LEADER_LEASE, "price-a", TTL, shared=True)
    return a, Leadership(tracked_database(database_url), leases, LEADER_LEASE, "price-b", TTL, shared=True)


async def test_alone_on_sqlite_the_service_always_leads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    solo = Leadership(tracked_database(f"sqlite+aiosqlite:///{tmp_path}/price.db"), leases, LEADER_LEASE, "solo", TTL)
    assert not solo.shared and solo.leading and solo.role == "leader" and solo.leader_id == "solo"
    assert await solo.renew()


async def test_one_leads_the_other_stands_by_until_the_lease_is_released(database_url: str) -> None:
    a, b = await _leaderships(database_url)
    assert await a.renew() and a.leading and a.leader_id == "price-a"
    assert not await b.renew()
    assert (b.role, b.leader_id, b.leading) == ("standby", "price-a", False)
    await a.release()
    assert not a.leading
    assert await b.renew() and b.leading


async def test_a_leader_that_stops_renewing_is_replaced_after_the_ttl_and_knows_it(database_url: str) -> None:
    a, b = await _leaderships(database_url)
    assert await a.renew()
    await within(TTL + 1, lambda: not a.leading, "the leader's own clock to let its lease go")
    assert await b.renew()
    assert not await a.renew()
    assert (a.role, a.leader_id) == ("standby", "price-b")


async def test_the_standby_fetches_never_sends_and_takes_over_when_the_leader_stops(
        local_chain: LocalChain, oracle_address: str, cmc: Cmc, engine: Recorder, postgres_url: str) -> None:
    def settings(name: str):  # type: ignore[no-untyped-def]
        return settings_for(local_chain.url, oracle_address, local_chain.keys[1], engine.url, database_url=postgres_url,
                            instance_id=name, price_lease_ttl=TTL)

    cmc.quote("BTC", "97000")
    async with AsyncExitStack() as leader_stack, AsyncExitStack() as standby_stack:
        client_a, a = await leader_stack.enter_async_context(running(settings("price-a")))
        assert (await client_a.post("/assets", json={"symbol": "BTC", "name": "Bitcoin"}, headers=AUTH)).status_code == 201
        await settle(a)
        assert (await read_onchain(local_chain.url, oracle_address, "BTC"))[0] == 97000 * 10**8

        client_b, b = await standby_stack.enter_async_context(running(settings("price-b")))
        health = (await client_b.get("/health")).json()
        assert (health["role"], health["instanceId"], health["leaderId"]) == ("standby", "price-b", "price-a")
        cmc.quote("BTC", "99000")
        await settle(b)
        prices = (await client_b.get("/prices")).json()["prices"]
        assert prices[0]["asset"] == "BTC" and prices[0]["price"].startswith("99000")
        assert (await read_onchain(local_chain.url, oracle_address, "BTC"))[0] == 97000 * 10**8  # the standby sent nothing

        await leader_stack.aclose()  # a clean stop releases the lease
        await within(TTL, lambda: b.leadership.leading, "the standby to take the released lease")
        await settle(b)
        assert (await read_onchain(local_chain.url, oracle_address, "BTC"))[0] == 99000 * 10**8
        assert (await client_b.get("/health")).json()["role"] == "leader"
        assert b.metrics.leader._value.get() == 1  # type: ignore[attr-defined]


async def test_a_leader_that_loses_its_lease_stops_sending_at_once(
        local_chain: LocalChain, oracle_address: str, cmc: Cmc, engine: Recorder, postgres_url: str) -> None:
    settings = settings_for(local_chain.url, oracle_address, local_chain.keys[1], engine.url, database_url=postgres_url,
                            instance_id="price-a", price_lease_ttl=TTL)
    cmc.quote("BTC", "97000")
    async with running(settings) as (client, service):
        assert (await client.post("/assets", json={"symbol": "BTC", "name": "Bitcoin"}, headers=AUTH)).status_code == 201
        await settle(service)
        async with service.db.transaction() as s:  # another replica holds it now (a partition healed, say)
            await s.execute(update(leases).where(leases.c.name == LEADER_LEASE).values(holder="price-b"))
        await service.lease_loop.run_now()
        assert service.leadership.role == "standby" and not service.leadership.leading
        cmc.quote("BTC", "99000")
        await settle(service)
        assert (await read_onchain(local_chain.url, oracle_address, "BTC"))[0] == 97000 * 10**8
        assert (await client.get("/health")).json()["leaderId"] == "price-b"
