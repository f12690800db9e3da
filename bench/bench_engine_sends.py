"""liquidation-engine sends under a real PXE's cost model (issue 22): the time until the last of 100
liquidations is sent, today's one-by-one sends against bundles, on one send gateway and on several.

    .venv/bin/python -m bench.bench_engine_sends [--liquidations 100] [--fake-scale 0.1] [--real-scale 0.005]
                                                 [--gateways 1,2,4]

Prints figures and ratios in model seconds (wall seconds / time scale); asserts nothing. The PXE gateways
are development PXEs in a process of their own (bench/pxe_cluster.py) under the cost model of a real
3.0.0-devnet.5 PXE (devnet/pxe/costs.py: one job at a time; fake proofs 2.68 s per one-call transaction,
real proofs 61.58 s), `fake-proofs` and `real-proofs` each run faster by its scale. Both sides start from
the same 100 liquidatable positions in priority order, read the liquidator's balance, and stop the clock
when the PXE has answered the last send.

Today (before issue 22, main e530b43): an authwit and a `pxe_sendTx` per liquidation, the most at-risk alone
first, then the rest in one JSON-RPC batch. Bundles: the engine's own sender (services/liquidation_engine/
sending.py): up to the entrypoint's call limit per transaction, proven, recorded, sent, over the send
gateways (the reads on one more gateway). The engine's own overhead (its database, its HTTP) is not
scaled down, so it weighs on the bundles' figures up to 1/scale times its real weight: they err slow.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.book import AT_RISK_DEBT, E18, LOW, P8, THRESHOLD_BPS
from bench.cost_cluster import Profile, Stopwatch, gateways, job_stats, rpc
from services.liquidation_engine.attempts import AttemptStore
from services.liquidation_engine.bundles import Sent
from services.liquidation_engine.metrics import EngineMetrics
from services.liquidation_engine.outcomes import Outcomes
from services.liquidation_engine.planning.budget import budget
from services.liquidation_engine.planning.evaluate import Finding, InterestOffsets, in_priority_order, scan
from services.liquidation_engine.planning.holds import Cooldowns, InFlight, Rereads
from services.liquidation_engine.pxe_roles import PxeRoles
from services.liquidation_engine.sending import LiquidationSender
from shared.db import Database
from shared.logging import configure_logging
from shared.positions import Position
from shared.protocols import reference
from shared.pxe.client import Call, PxeClient
from shared.pxe.fields import to_field
from shared.pxe.gateways import PxeGateways

LIQUIDATOR_KEY = "0x0bec4000000000000000000000000000000000000000000000000000000000c2"
GOAL = 4.0  # the last of 100 liquidations sent at least 4x sooner (issue 22)


def seed(url: str, count: int) -> list[Finding]:
    """`count` liquidatable escrows in the dev PXE, the liquidator funded; their findings, most at risk first."""
    btc, usdc = rpc(url, "dev_createToken", ["BTC"]), rpc(url, "dev_createToken", ["USDC"])
    pool = rpc(url, "dev_createPool", [btc, usdc, 7500, THRESHOLD_BPS])
    rpc(url, "dev_setPrices", [{"BTC": str(LOW), "USDC": str(P8)}])
    escrows = rpc(url, "dev_createEscrows", [pool, count, str(E18), str(AT_RISK_DEBT), {"registered": True}])
    epoch = int(rpc(url, "dev_getPosition", [escrows[0]["address"]])["loanEpoch"])
    liquidator = rpc(url, "pxe_registerAccount", [LIQUIDATOR_KEY])["address"]
    rpc(url, "dev_mint", [usdc, liquidator, str(10**9 * E18)])
    now = int(time.time())
    positions = [Position(e["address"], pool, "BTC", btc, E18, "USDC", usdc, AT_RISK_DEBT, epoch, THRESHOLD_BPS,
                          now, 1, 1) for e in escrows]
    found, _ = scan(positions, LOW, P8, now, InterestOffsets(reference))
    assert len(found) == count, "every seeded position must be liquidatable"
    return in_priority_order(found)


async def today(url: str, findings: list[Finding], profile: Profile) -> tuple[float, float]:
    """(first, last) sent, model seconds: an authwit and a pxe_sendTx per liquidation, as before issue 22."""
    async with PxeClient(url, timeout=3600, send_timeout=3600) as pxe:
        liquidator = await pxe.register_account(LIQUIDATOR_KEY)
        clock = Stopwatch(profile)
        token = findings[0].position.debt_token
        planned, _ = budget(findings, {token: await pxe.private_balance(token, liquidator)})
        txs = []
        for n, item in enumerate(planned):
            p, plan = item.finding.position, item.plan
            transfer = Call("transfer_private_to_public", p.debt_token, [to_field(liquidator), to_field(p.pool),
                                                                         to_field(plan.repay), to_field(n + 1)])
            liquidate = Call("liquidate", p.escrow, [to_field(plan.repay), to_field(n + 1), to_field(plan.collateral_price),
                                                     to_field(plan.debt_price)])
            txs.append((p.pool, transfer, liquidate))
        first = await _batch(pxe, liquidator, txs[:1])
        first_at = clock.model()
        await _batch(pxe, liquidator, txs[1:])
        return first_at if first else 0.0, clock.model()


async def _batch(pxe: PxeClient, liquidator: str, txs: list[tuple[str, Call, Call]]) -> int:
    authwits = await pxe.create_authwits(liquidator, [(pool, transfer) for pool, transfer, _ in txs])
    sent = await pxe.send_txs([([liquidate], [a]) for (_, _, liquidate), a in zip(txs, authwits, strict=True)],
                              liquidator)
    return sum(isinstance(h, str) for h in sent)


async def bundled(send_urls: list[str], read_url: str, findings: list[Finding], profile: Profile,
                  tmp: Path) -> tuple[float, float, int]:
    """(first, last) sent in model seconds, and the transactions: the engine's own sender."""
    db = Database(f"sqlite+aiosqlite:///{tmp}/engine-{len(send_urls)}-{profile.name}.db")
    store = AttemptStore(db)
    await store.init()
    in_flight, metrics = InFlight(), EngineMetrics()
    outcomes = Outcomes(store, in_flight, Cooldowns(30, 900), Rereads(), metrics)
    roles = PxeRoles(PxeGateways(send_urls, send_timeout=3600, timeout=3600), PxeGateways([read_url], timeout=3600))
    times: list[tuple[float, int]] = []
    sender = LiquidationSender(roles, outcomes, in_flight, metrics,
                               on_sent=lambda sent: times.append((time.perf_counter(), len(sent.attempts))))
    try:
        await sender.register(LIQUIDATOR_KEY)
        clock = Stopwatch(profile)
        sent: list[Sent] = await sender.send(findings, None)
        assert sum(n for _, n in times) == len(findings), "every liquidation must go out"
        return clock.model(times[0][0]), clock.model(times[-1][0]), len(sent)
    finally:
        await roles.close()
        await db.close()


async def run_profile(profile: Profile, args: argparse.Namespace, tmp: Path) -> None:
    with gateways(1, profile) as (url,):
        base_first, base_last = await today(url, seed(url, args.liquidations), profile)
        base_busy = job_stats(url)["busySeconds"]
    print(f"[{profile.name}, time scale {profile.scale}] {args.liquidations} liquidations, today (authwit + pxe_sendTx each, "
          f"one gateway): first sent at {base_first:.1f} s, LAST at {base_last:.1f} s (PXE busy {base_busy:.1f} s)")
    for count in args.gateways:
        with gateways(count + 1, profile) as urls:
            findings = seed(urls[0], args.liquidations)
            first, last, txs = await bundled(urls[:count], urls[count], findings, profile, tmp)
        ratio = base_last / last
        goal = f"  goal >= {GOAL:g}x: {'met' if ratio >= GOAL else 'NOT met'}" if count == 1 else ""
        print(f"[{profile.name}] bundles, {count} send gateway{'s' if count > 1 else ''} (+1 read): {txs} transactions, "
              f"first sent at {first:.1f} s, LAST at {last:.1f} s; {ratio:.1f}x sooner than today{goal}")


async def main(args: argparse.Namespace) -> None:
    configure_logging("bench", "warning")
    with tempfile.TemporaryDirectory() as tmp:
        for profile in (Profile("fake-proofs", args.fake_scale), Profile("real-proofs", args.real_scale)):
            await run_profile(profile, args, Path(tmp))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.bench_engine_sends")
    parser.add_argument("--liquidations", type=int, default=100)
    parser.add_argument("--fake-scale", type=float, default=0.1)
    parser.add_argument("--real-scale", type=float, default=0.005)
    parser.add_argument("--gateways", type=lambda v: [int(x) for x in v.split(",")], default=[1, 2, 4])
    asyncio.run(main(parser.parse_args()))
