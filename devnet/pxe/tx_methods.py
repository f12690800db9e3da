"""The development PXE's transactions over JSON-RPC: pxe_sendTx, pxe_proveTx, pxe_sendProvenTx and
pxe_getTxLimits (docs/pxe-jsonrpc.md).

A tx carries at most `max_calls` calls (an account entrypoint's limit: 5 for Aztec's Schnorr account);
more answer -32701 before any work. Its calls run in order and it reverts as a whole if one reverts.
pxe_sendTx and pxe_proveTx are one job each: the simulation, then the proof (and for pxe_sendTx the
node's acceptance); a revert found by the simulation ends the job there. pxe_sendProvenTx is no job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from devnet.pxe import params as parse
from devnet.pxe.rpc_errors import InvalidInput

if TYPE_CHECKING:
    from devnet.pxe.admin_methods import Handler
    from devnet.pxe.jobs import JobQueue
    from devnet.pxe.protocol_state import ProtocolState
    from devnet.pxe.txs import Tx

DEFAULT_MAX_CALLS = 5  # Aztec's Schnorr account entrypoint in 3.0.0-devnet.5


class TxMethods:
    """Transaction handlers over the fields DevPxe.__init__ creates; the protocol's server simulates."""

    state: ProtocolState
    jobs: JobQueue
    max_calls: int

    if TYPE_CHECKING:  # provided by DevPxe
        def now(self) -> int: ...

    def tx_methods(self) -> dict[str, Handler]:
        return {
            "pxe_sendTx": self.send_tx,
            "pxe_proveTx": self.prove_tx,
            "pxe_sendProvenTx": self.send_proven_tx,
            "pxe_getTxLimits": self.get_tx_limits,
        }

    async def _simulate(self, tx: Tx) -> None:
        """Simulates `tx` against the world as it is; ExecutionError with the revert reason."""
        raise NotImplementedError  # the protocol's server simulates

    def _parse_tx(self, params: list[Any]) -> Tx:
        tx_request, options = parse.arity(params, 2)
        if not isinstance(tx_request, dict) or not isinstance(options, dict):
            raise InvalidInput('Expected [{"calls", "authWitnesses"}, {"from"}]')
        calls = tx_request.get("calls")
        if not isinstance(calls, list) or not calls:
            raise InvalidInput("calls must be a non-empty array")
        if len(calls) > self.max_calls:
            raise InvalidInput(f"calls: {len(calls)} calls, but a transaction of this PXE's accounts carries at most "
                               f"{self.max_calls} (pxe_getTxLimits)")
        authwits = tx_request.get("authWitnesses", [])
        if not isinstance(authwits, list):
            raise InvalidInput("authWitnesses must be an array")
        return self.state.new_tx(
            parse.address(options.get("from"), "from"),
            tuple(parse.call(c) for c in calls),
            self.state.authwit_intents([parse.authwit(a) for a in authwits]),
        )

    async def _prove(self, method: str, tx: Tx) -> None:
        """One job: simulate (a revert stops here), then prove (and, for pxe_sendTx, reach the node)."""
        simulation, rest = self.jobs.costs.tx_phases(method, len(tx.calls))
        async with self.jobs.job(method) as job:
            await job.spend(simulation)
            await self._simulate(tx)
            await job.spend(rest)

    async def send_tx(self, params: list[Any]) -> str:
        """Simulated, proven and sent: the tx waits for the next block."""
        tx = self._parse_tx(params)
        await self._prove("pxe_sendTx", tx)
        return self.state.submit(tx)

    async def prove_tx(self, params: list[Any]) -> dict[str, str]:
        """Simulated and proven, kept by hash for pxe_sendProvenTx, not sent: until then the node knows nothing of it."""
        tx = self._parse_tx(params)
        await self._prove("pxe_proveTx", tx)
        return {"txHash": self.state.keep_proven(tx, self.now())}

    async def send_proven_tx(self, params: list[Any]) -> str:
        """[txHash] -> txHash: a kept proven tx sent to the node; sending it again is harmless."""
        (tx_hash,) = parse.arity(params, 1)
        tx_hash = parse.field_str(tx_hash, "txHash")
        self.state.check_proven(tx_hash, self.now())
        await self.jobs.not_a_job("pxe_sendProvenTx", self.jobs.costs.of("send"))
        return self.state.send_proven(tx_hash, self.now())

    async def get_tx_limits(self, params: list[Any]) -> dict[str, int]:
        parse.arity(params, 0)
        return {"maxCallsPerTx": self.max_calls}
