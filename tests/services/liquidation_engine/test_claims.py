"""Engines sharing one database: an attempt is claimed by the database before it is sent (one engine
wins each escrow), cooldowns are shared, and the attempts of an engine that stopped are taken over
once by one live engine."""

from __future__ import annotations

import asyncio
import time

from alembic import command
from sqlalchemy import text

from services.liquidation_engine.attempts import AttemptStore
from services.liquidation_engine.metrics import EngineMetrics
from services.liquidation_engine.models import MIGRATIONS, LiquidationRow, leases
from services.liquidation_engine.planning.budget import Plan
from services.liquidation_engine.takeover import HOLD_FRACTION, Takeover
from shared.leases import Membership
from shared.migrations import _config, upgrade
from tests.fixtures.databases import tracked_database

P8 = 10**8
ESCROWS = [f"0x{i:064x}" for i in range(1, 61)]


def plan(escrow: str) -> Plan:
    return Plan(escrow, "0.9000", 1, 1, 55_000 * P8, P8)


async def stores(url: str, *engines: str) -> list[AttemptStore]:
    found = [AttemptStore(tracked_database(url), instance=engine) for engine in engines]
    for store in found:
        await store.init()
    return found


async def until(predicate, timeout: float = 15.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_engines_racing_for_the_same_escrows_each_win_some_and_none_twice(postgres_url: str) -> None:
    a, b, c = await stores(postgres_url, "a", "b", "c")
    plans = [plan(e) for e in ESCROWS]
    # Overlapping claims in different orders and chunk sizes, all at once, as two engines' checks do.
    asks = [(a, plans[:40]), (b, plans[20:]), (c, plans[::-1]), (a, plans[50:]), (b, plans[:10]), (c, plans[30:35])]
    results = await asyncio.gather(*(store.claim(ps) for store, ps in asks))
    won: dict[str, list[tuple[str, int]]] = {}
    for (store, ps), ids in zip(asks, results, strict=True):
        for p, attempt_id in zip(ps, ids, strict=True):
            if attempt_id is not None:
                won.setdefault(p.escrow, []).append((str(store.instance), attempt_id))
    assert sorted(won) == sorted(ESCROWS) and all(len(w) == 1 for w in won.values())
    rows = await a.unresolved()
    assert sorted((r.escrow, r.engine, r.id) for r in rows) == sorted((e, w[0][0], w[0][1]) for e, w in won.items())
    # Once an attempt has ended, the escrow may be claimed again, by either engine.
    first = won[ESCROWS[0]][0][1]
    await a.finish(first, "succeeded")
    assert (await b.claim([plan(ESCROWS[0])]))[0] is not None
    assert (await c.claim([plan(ESCROWS[0])])) == [None]


async def test_a_failure_cools_the_escrow_down_for_every_engine(database_url: str) -> None:
    a, b = await stores(database_url, "a", "b")
    slow, quick, succeeded = ESCROWS[:3]
    ids = await a.claim([plan(slow), plan(quick), plan(succeeded)])
    assert None not in ids
    await a.finish(ids[0], "failed", "reverted", cool_for=600)
    await a.finish(ids[1], "failed", "reverted", cool_for=0.2)
    await a.finish(ids[2], "failed", "reverted", cool_for=600)
    assert await b.claim([plan(slow), plan(quick), plan(succeeded)]) == [None, None, None]
    # A success since the failure (the escrow was liquidated after all) ends the cooldown.
    (later,) = await a.add([plan(succeeded)], status="succeeded")
    assert later and (await b.claim([plan(succeeded)]))[0] is not None

    async def quick_free() -> bool:
        return (await b.claim([plan(quick)]))[0] is not None

    await until(quick_free, what="the short cooldown to end")
    assert await b.claim([plan(slow)]) == [None]
    # A skipped attempt (nothing sent) cools the escrow down as well.
    other = ESCROWS[10]
    await a.add([plan(other)], status="skipped", errors=["no collateral"], cool_for=[600])
    assert await b.claim([plan(other)]) == [None]


async def test_a_stopped_engines_attempts_are_taken_over_once(postgres_url: str) -> None:
    gone, b, c = await stores(postgres_url, "gone", "b", "c")
    ids = await gone.claim([plan(e) for e in ESCROWS[:30]])
    assert None not in ids
    await gone.set_tx_hash(ids[0], "0x" + "ab" * 32)
    (mine,) = await b.claim([plan(ESCROWS[40])])
    adopted = await asyncio.gather(b.adopt({"b", "c"}), c.adopt({"b", "c"}), b.adopt({"b", "c"}))
    taken = [row.id for rows in adopted for row in rows]
    assert sorted(taken) == sorted(ids)  # every one, each by one engine
    assert mine not in taken and await b.adopt({"b", "c"}) == []
    owners = {row.id: row.engine for row in await b.unresolved()}
    assert {owners[i] for i in ids} <= {"b", "c"} and owners[mine] == "b"
    # A live engine's attempts are never taken: they stay with their engine.
    assert await c.adopt({"b", "c"}) == []
    # At start, an engine resolves its own (a restart with the same INSTANCE_ID) with what it adopts.
    assert mine in [row.id for row in await b.adopt({"b", "c"}, own=True)]


async def test_membership_lapses_and_another_engine_resolves_the_attempts(postgres_url: str) -> None:
    a_store, b_store = await stores(postgres_url, "a", "b")
    handed: list[LiquidationRow] = []

    async def resolve(rows: list[LiquidationRow]) -> None:
        handed.extend(rows)

    a_member = Membership(a_store.db, leases, "engine", "a", 0.6, shared=True, hold_fraction=HOLD_FRACTION)
    b_member = Membership(b_store.db, leases, "engine", "b", 0.6, shared=True, hold_fraction=HOLD_FRACTION)
    a = Takeover(a_store, a_member, EngineMetrics(), on_adopted=resolve)
    b_metrics = EngineMetrics()
    b = Takeover(b_store, b_member, b_metrics, on_adopted=resolve)
    await a.round()
    await b.round()
    await a.round()  # now a knows b too
    assert a_member.held() and b_member.held()
    assert {e["instance"]: e["live"] for e in b.engines()} == {"a": True, "b": True}
    shares = [a_member.owns(e) for e in ESCROWS]
    assert any(shares) and not all(shares) and shares == [not b_member.owns(e) for e in ESCROWS]
    ids = await a_store.claim([plan(e) for e in ESCROWS[:5]])
    await b.round()
    assert handed == []  # "a" is live: its attempts are its own
    assert b_metrics.registry.get_sample_value("liquidation_engine_in_flight_attempts", {"engine": "a"}) == 5

    async def taken_over() -> bool:  # "a" stops renewing, as after kill -9
        await b.round()
        return bool(handed)

    await until(taken_over, what="a's lease to run out")
    assert sorted(row.id for row in handed) == sorted(i for i in ids if i is not None)
    assert not a_member.held() and b_metrics.registry.get_sample_value("liquidation_engine_live_engines") == 1
    assert b_metrics.registry.get_sample_value("liquidation_engine_attempts_adopted_total") == 5
    assert {e["instance"]: (e["live"], e["inFlight"]) for e in b.engines()} == {"b": (True, 5)}


async def test_the_upgrade_settles_duplicate_attempts_in_flight_before_refusing_them(database_url: str) -> None:
    db = tracked_database(database_url)
    async with db.engine.begin() as conn:  # a database at 0002, where two engines left one escrow twice in flight
        await conn.run_sync(lambda c: command.upgrade(_config(MIGRATIONS, c), "0002"))
        for status in ("submitted", "unknown", "failed", "submitted"):
            await conn.execute(text(
                "INSERT INTO liquidations (escrow, status, health_factor, repay_amount, collateral_seized, "
                "collateral_price, debt_price, created_at, updated_at) VALUES (:e, :s, '0.9', '1', '1', '1', '1', 1, 1)"),
                {"e": ESCROWS[0], "s": status})
    await upgrade(db, MIGRATIONS)
    store = AttemptStore(db, instance="a")
    rows = sorted(await store.recent(10), key=lambda r: r.id)
    assert [r.status for r in rows] == ["failed", "failed", "failed", "submitted"]
    assert rows[0].error and "Superseded" in rows[0].error and rows[2].error is None
    assert await store.claim([plan(ESCROWS[0])]) == [None]
