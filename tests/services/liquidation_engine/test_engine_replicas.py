"""Two liquidation engines as processes on one PostgreSQL database, against one development PXE, one
oracle and one note monitor (the stack of engine_stack.py, its monitor served on a real port). The dev
PXE costs what a real one does for a transaction (fake proofs, scaled): one proof at a time, seconds each.

A burst of 100 liquidatable positions: each is liquidated exactly once by the development PXE's own
record, and both engines send some; one engine is killed (kill -9) in the middle of the burst, while the
PXE is still proving and sending: the other finishes the burst, resolves the dead one's attempts from
their receipts, and its GET /liquidations holds every liquidation mined, exactly once, by hash."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from devnet.chain.local import LocalChain, free_port
from devnet.suite import OWN_SETTINGS, REPO, stop_process
from services.liquidation_engine.models import LiquidationRow
from shared.pxe.client import PxeClient
from tests.conftest import TEST_API_KEY
from tests.fixtures.databases import tracked_database
from tests.services.liquidation_engine.engine_stack import (
    E18,
    KEY,
    LIQUIDATOR_KEY,
    P8,
    Stack,
    running_stack,
    slow_sends,
    until,
)

BURST = 100
LEASE_TTL = 2.0
COST_SCALE = 0.05  # a transaction's proof in 0.14 s: the burst lasts seconds, as on a real PXE it lasts minutes


@dataclass
class EngineProcess:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def events(self, name: str) -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")]
        return [line for line in lines if line.get("event") == name]


def spawn_engine(s: Stack, chain: LocalChain, oracle: str, database_url: str, name: str) -> EngineProcess:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in OWN_SETTINGS}
    env.update({
        "ENVIRONMENT": "development", "LIQUIDATION_API_KEY": TEST_API_KEY, "DATABASE_URL": database_url,
        "INSTANCE_ID": name, "ENGINE_LEASE_TTL": str(LEASE_TTL), "HOST": "127.0.0.1", "LIQUIDATION_ENGINE_PORT": str(port),
        "PXE_URL": s.pxe.url, "RPC_URL": chain.url, "ORACLE_ADDRESS": oracle, "NOTE_MONITOR_URL": str(s.monitor_url),
        "LIQUIDATOR_PRIVATE_KEY": LIQUIDATOR_KEY, "SWEEP_INTERVAL": "1", "RECEIPT_POLL_INTERVAL": "0.1",
        "COOLDOWN_BASE": "0.5", "COOLDOWN_MAX": "2", "LOG_FORMAT": "json", "LOG_LEVEL": "info", "PYTHONUNBUFFERED": "1",
    })
    log = s.tmp / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "services.liquidation_engine"], cwd=REPO, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return EngineProcess(name, f"http://127.0.0.1:{port}", process, log)


async def health(http: httpx.AsyncClient, engine: EngineProcess) -> dict[str, Any] | None:
    assert engine.process.poll() is None, f"{engine.name} exited: {engine.log.read_text()[-2000:]}"
    try:
        return (await http.get(f"{engine.url}/health")).json()
    except httpx.HTTPError:
        return None


@dataclass
class Burst:
    """The running stack, the shared database's attempts and the two engine processes."""

    s: Stack
    db: Any
    http: httpx.AsyncClient
    escrows: list[str]
    engines: list[EngineProcess]

    async def rows(self, *where: Any) -> list[LiquidationRow]:
        async with self.db.session() as session:
            return list((await session.execute(select(LiquidationRow).where(*where))).scalars())

    def liquidate_txs(self) -> list[Any]:
        """The dev PXE's own record of liquidation transactions."""
        return [tx for tx in list(self.s.pxe.state.txs.values()) if any(c.name == "liquidate" for c in tx.calls)]


async def test_two_engines_liquidate_a_burst_once_each_and_one_survives_the_others_kill_9(
    tmp_path: Path, local_chain: LocalChain, oracle_address: str, postgres_url: str
) -> None:
    async with running_stack(tmp_path, local_chain, oracle_address, block_time=0.5, serve_monitor=True,
                             costs=slow_sends(COST_SCALE)) as s, httpx.AsyncClient(timeout=10) as http:
        # Unhealthy at 55 000 (health factor 0.95 to 0.98), healthy again after one liquidation each.
        escrows = [await s.escrow(E18, (45_000 + i * 10) * E18) for i in range(BURST)]
        async with PxeClient(s.pxe.url) as pxe:
            liquidator = await pxe.register_account(LIQUIDATOR_KEY)
        await s.pxe.admin.acall("dev_mint", [s.usdc, liquidator, str(10**9 * E18)])
        engines = [spawn_engine(s, local_chain, oracle_address, postgres_url, n) for n in ("engine-a", "engine-b")]
        burst = Burst(s, tracked_database(postgres_url), http, escrows, engines)
        try:
            await _start_the_burst(burst)
            a_claimed, a_in_flight = await _kill_engine_a_mid_burst(burst)
            await until(lambda: _burst_done(burst), timeout=120, what="engine-b to finish the burst")
            await asyncio.sleep(3)  # a few sweeps more: nothing may be sent again
            await _assert_each_liquidated_once(burst)
            await _assert_every_mined_liquidation_recorded_once(burst)
            await _assert_engine_b_took_over(burst, a_claimed, a_in_flight)
        finally:
            for engine in engines:
                stop_process(engine.process)


async def _start_the_burst(burst: Burst) -> None:
    http, engines = burst.http, burst.engines

    async def both_see_both() -> bool:
        found = [await health(http, e) for e in engines]
        return all(h and h["positionsTracked"] == BURST and h["checks"]["liquidatorRegistered"]
                   and {x["instance"] for x in h["engines"] if x["live"]} == {"engine-a", "engine-b"}
                   for h in found)

    await until(both_see_both, timeout=90, what="both engines up, each seeing the other")
    await asyncio.sleep(LEASE_TTL)  # a membership round more: each engine knows its share
    await burst.s.set_prices(BTC=55_000 * P8)
    body = {"updates": [{"asset": "BTC", "price": "55000", "previousPrice": "60000", "timestamp": 1,
                         "txHash": "0x" + "ab" * 32}]}
    await asyncio.gather(*(http.post(f"{e.url}/price-update", json=body, headers=KEY) for e in engines))


async def _kill_engine_a_mid_burst(burst: Burst) -> tuple[dict[int, LiquidationRow], dict[int, LiquidationRow]]:
    """kill -9 of engine-a once a quarter of the burst reached the PXE and both engines hold attempts in
    flight: the PXE is still proving and sending the rest. What engine-a had claimed."""
    async def a_quarter_out_both_in_flight() -> bool:
        if sum(len(tx.calls) for tx in burst.liquidate_txs()) < BURST // 4:
            return False
        in_flight = await burst.rows(LiquidationRow.status.in_(("submitted", "unknown")))
        return {r.engine for r in in_flight} == {"engine-a", "engine-b"}

    await until(a_quarter_out_both_in_flight, timeout=60, what="a quarter of the burst sent, both engines in flight")
    a = burst.engines[0]
    a.process.send_signal(signal.SIGKILL)
    a.process.wait(10)
    a_claimed = {r.id: r for r in await burst.rows(LiquidationRow.engine == "engine-a")}
    a_in_flight = {i: r for i, r in a_claimed.items() if r.status in ("submitted", "unknown")}
    assert a_in_flight
    return a_claimed, a_in_flight


async def _burst_done(burst: Burst) -> bool:
    done = len({c.to for tx in burst.liquidate_txs() for c in tx.calls if c.name == "liquidate"}) == BURST
    return done and not await burst.rows(LiquidationRow.status.in_(("submitted", "unknown")))


async def _assert_each_liquidated_once(burst: Burst) -> None:
    txs = burst.liquidate_txs()
    per_escrow = {e: [tx for tx in txs if any(c.to == e for c in tx.calls)] for e in burst.escrows}
    assert {e: len(t) for e, t in per_escrow.items() if len(t) != 1} == {}
    assert all(t[0].receipt()["status"] == "success" for t in per_escrow.values())
    for escrow in burst.escrows:
        assert (await burst.s.position(escrow))[0] < E18
    final = await burst.rows()
    assert sorted(r.escrow for r in final if r.status == "succeeded") == sorted(burst.escrows)
    # No engine tried again an escrow another engine's success had made healthy (the contract would refuse it).
    assert [r.escrow for r in final if r.error == "Position healthy, cannot liquidate"] == []


async def _assert_every_mined_liquidation_recorded_once(burst: Burst) -> None:
    """The survivor's history (GET /liquidations) and the PXE's record match one to one: every liquidation
    mined is a `succeeded` row with its transaction's hash, once; no row claims a success that did not mine."""
    b = burst.engines[1]
    r = await burst.http.get(f"{b.url}/liquidations", params={"limit": 500}, headers=KEY)
    rows = r.json()["liquidations"]
    mined = [(tx.hash, call.to) for tx in burst.liquidate_txs() if tx.status == "success" for call in tx.calls]
    assert len(mined) >= BURST and len(set(mined)) == len(mined)
    recorded = [(x["txHash"], x["escrow"]) for x in rows if x["status"] == "succeeded"]
    assert sorted(recorded) == sorted(mined), {"mined, not recorded": set(mined) - set(recorded),
                                               "recorded, not mined": set(recorded) - set(mined)}
    sent = {tx.hash for tx in burst.liquidate_txs()}
    for x in rows:  # a hash the PXE never received was recorded before a send that never happened
        if x["txHash"] and x["txHash"] not in sent:
            assert (x["status"], x["error"]) == ("failed", "Transaction dropped"), x


async def _assert_engine_b_took_over(burst: Burst, a_claimed: dict[int, LiquidationRow],
                                     a_in_flight: dict[int, LiquidationRow]) -> None:
    b = burst.engines[1]
    final = await burst.rows()
    # Both sent some (engine-a before its kill), engine-b its own share and what engine-a left.
    assert len([r for r in final if r.id not in a_claimed]) >= BURST // 4
    # The dead engine's attempts in flight were resolved by engine-b: from their receipts where a hash was
    # recorded (succeeded if it was sent, dropped if the kill came between the record and the send).
    mined = {tx.hash for tx in burst.liquidate_txs() if tx.status == "success"}
    resolved = {r.id: r for r in final if r.id in a_in_flight}
    assert {r.engine for r in resolved.values()} == {"engine-b"}
    for row in resolved.values():
        if a_in_flight[row.id].tx_hash:
            assert row.status == ("succeeded" if row.tx_hash in mined else "failed"), row
    assert b.events("Liquidations of a stopped engine taken over")
    resumed = {e["txHash"] for e in b.events("Liquidation in flight resumed")}
    assert {r.tx_hash for r in a_in_flight.values() if r.tx_hash} <= resumed
    h = await health(burst.http, b)
    assert h and h["instance"] == "engine-b" and [x["instance"] for x in h["engines"]] == ["engine-b"]
