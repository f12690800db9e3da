"""Small fakes for the engine's unit tests: an in-memory PXE and a monitor that records sync requests.

Integration tests run the real PXE client against the development PXE; these keep one component
under test at a time.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from services.liquidation_engine.attempts import AttemptStore
from services.liquidation_engine.metrics import EngineMetrics
from services.liquidation_engine.outcomes import Outcomes
from services.liquidation_engine.planning.evaluate import Finding
from services.liquidation_engine.planning.holds import Cooldowns, InFlight, Rereads
from services.liquidation_engine.pxe_roles import OneGateway, PxeRoles
from shared.positions import Position
from shared.protocols import reference
from shared.pxe.client import Call, Notes, TxReceipt
from shared.pxe.errors import PxeError, PxeReverted
from tests.fixtures.databases import tracked_database

LIQUIDATOR = "0x" + "0a" * 32
POOL = "0x" + "0b" * 32
DEBT_TOKEN = "0x" + "0c" * 32
E18 = 10**18
P8 = 10**8


def escrow(n: int) -> str:
    return f"0x{n:064x}"


NOW = 1_750_000_000
EPOCH = reference.next_epoch(NOW)  # loans taken now: no interest yet at NOW


def position(n: int, collateral: int = E18, principal: int = 46_000 * E18, version: int = 1) -> Position:
    return Position(escrow(n), POOL, "BTC", "0x" + "0d" * 32, collateral, "USDC", DEBT_TOKEN, principal, EPOCH, 8000,
                    0, 5, version)


def finding(n: int, **kwargs: Any) -> Finding:
    p = position(n, **kwargs)
    return Finding(p, p.debt_principal, 55_000 * P8, P8, reference)


@dataclass
class FakePxe:
    balances: dict[str, int] = field(default_factory=lambda: {DEBT_TOKEN: 10**30})
    authwit_failures: dict[str, PxeError] = field(default_factory=dict)  # by the authwit's caller (the pool)
    send_results: dict[str, str | PxeError] = field(default_factory=dict)  # by escrow: a PxeError reverts its bundle's proof
    send_failure: PxeError | None = None  # what pxe_sendProvenTx answers instead of the hash
    receipts: dict[str, list[TxReceipt | PxeError]] = field(default_factory=dict)  # by tx hash, consumed in order
    notes: dict[str, Notes] = field(default_factory=dict)
    block: int = 10
    max_calls: int = 5
    url: str = "http://fake-pxe"
    sent: list[tuple[str, list[str]]] = field(default_factory=list)  # (escrow, liquidate args), once sent
    on_send: Any = None  # called with the escrows and the hash of each transaction as it is sent
    calls: list[tuple[str, int]] = field(default_factory=list)  # ("authwits" | "proofs" | "sends", size), in call order
    _hashes: Any = field(default_factory=lambda: itertools.count(1))
    _proven: dict[str, list[Call]] = field(default_factory=dict)

    async def register_account(self, _secret_key: str) -> str:
        return LIQUIDATOR

    async def is_ready(self) -> bool:
        return True

    async def tx_limits(self, fresh: bool = False) -> int:
        return self.max_calls

    async def private_balance(self, token: str, _owner: str) -> int:
        return self.balances.get(token, 0)

    async def create_authwits(self, _from: str, intents: list[tuple[str, Call]]) -> list[dict | PxeError]:
        self.calls.append(("authwits", len(intents)))
        await asyncio.sleep(0)  # a round trip: other chunks may run meanwhile
        out: list[dict | PxeError] = []
        for _caller, call in intents:
            failure = self.authwit_failures.get(call.args[1])  # keyed by the pool field: args = [from, to, amount, nonce]
            out.append(failure if failure is not None else {"requestHash": "0x1", "witness": ["0x2"]})
        return out

    async def prove_tx(self, calls: list[Call], _authwits: list[dict], _from: str) -> str:
        self.calls.append(("proofs", len(calls)))
        await asyncio.sleep(0)
        for call in calls:  # the bundle reverts as a whole, naming no culprit
            result = self.send_results.get(call.to)
            if isinstance(result, PxeError):
                raise result
        tx_hash = f"0x{next(self._hashes):064x}"
        self._proven[tx_hash] = list(calls)
        return tx_hash

    async def send_proven_tx(self, tx_hash: str) -> str:
        self.calls.append(("sends", len(self._proven[tx_hash])))
        await asyncio.sleep(0)
        if self.on_send is not None:
            await self.on_send([c.to for c in self._proven[tx_hash]], tx_hash)
        if self.send_failure is not None:
            raise self.send_failure
        self.sent.extend((c.to, list(c.args)) for c in self._proven[tx_hash])
        return tx_hash

    async def wait_for_receipt(self, tx_hash: str, *, timeout: float, poll_interval: float) -> TxReceipt:
        queue = self.receipts.setdefault(tx_hash, [])
        answer = queue.pop(0) if queue else TxReceipt("success", block_number=self.block)
        if isinstance(answer, PxeError):
            raise answer
        return answer

    async def block_number(self) -> int:
        return self.block

    async def sync_private_state(self, _escrow: str) -> None:
        return None

    async def collateral_and_debt(self, _pool: str, escrow_address: str) -> Notes:
        notes = self.notes.get(escrow_address)
        if notes is None:
            raise PxeReverted("Escrow not found in this pool")
        return notes


class FakeMonitor:
    def __init__(self) -> None:
        self.sync_requests = 0

    async def request_sync(self) -> bool:
        self.sync_requests += 1
        return True


@dataclass
class Parts:
    store: AttemptStore
    in_flight: InFlight
    cooldowns: Cooldowns
    rereads: Rereads
    metrics: EngineMetrics
    outcomes: Outcomes


def gateways(pxe: FakePxe) -> PxeRoles:
    one = OneGateway(pxe)  # type: ignore[arg-type]
    return PxeRoles(one, one)


async def parts(tmp_path: Any) -> Parts:
    store = AttemptStore(tracked_database(f"sqlite+aiosqlite:///{tmp_path}/engine.db"))
    await store.init()
    in_flight, cooldowns, rereads, metrics = InFlight(), Cooldowns(30, 900), Rereads(), EngineMetrics()
    return Parts(store, in_flight, cooldowns, rereads, metrics, Outcomes(store, in_flight, cooldowns, rereads, metrics))


def metric(metrics: EngineMetrics, outcome: str) -> float:
    return metrics.registry.get_sample_value("liquidation_engine_liquidations_total", {"outcome": outcome}) or 0.0


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)
