"""The development PXE's dev_* admin methods both protocols share: escrows, positions, balances, latency,
blocks, the tx book and the job queue's figures. Each protocol adds its own (reference/admin_methods.py,
nocom_v1/admin_methods.py): tokens, pools, prices, the demo.

Not part of an Aztec PXE's API; tests, the demo and the benchmarks drive the dev PXE through them.
They are never PXE jobs: they cost nothing and never wait.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from devnet.pxe import params as parse
from devnet.pxe.rpc_errors import InvalidInput

if TYPE_CHECKING:
    from devnet.pxe.jobs import JobQueue
    from devnet.pxe.protocol_state import ProtocolState

Handler = Callable[[list[Any]], Awaitable[Any]]
MAX_BULK_ESCROWS = 100_000


class AdminMethods:
    """The dev_* handlers over the fields DevPxe.__init__ creates."""

    state: ProtocolState
    jobs: JobQueue
    latency_ms: float

    if TYPE_CHECKING:  # provided by DevPxe
        def now(self) -> int: ...
        async def produce_block(self) -> int: ...

    def admin_methods(self) -> dict[str, Handler]:
        return {
            "dev_createEscrow": self.dev_create_escrow,
            "dev_createEscrows": self.dev_create_escrows,
            "dev_setPosition": self.dev_set_position,
            "dev_getPosition": self.dev_get_position,
            "dev_listEscrows": self.dev_list_escrows,
            "dev_mint": self.dev_mint,
            "dev_setLatency": self.dev_set_latency,
            "dev_mineBlock": self.dev_mine_block,
            "dev_listTxs": self.dev_list_txs,
            "dev_getJobStats": self.dev_get_job_stats,
        }

    async def dev_create_escrow(self, params: list[Any]) -> dict[str, Any]:
        """[pool, collateral, principal, {"registered"?, "loanEpoch"?}] -> {"address", "owner", "secretKey", "instance"}."""
        pool, collateral, principal, *rest = parse.arity(params, 3, 4)
        options = parse.options(rest)
        return self.state.create_escrow(
            parse.address(pool, "pool"), parse.amount(collateral, "collateralAmount"), parse.amount(principal, "loanPrincipal"),
            self._loan_epoch(options.get("loanEpoch")), bool(options.get("registered", False)),
        )

    async def dev_create_escrows(self, params: list[Any]) -> list[dict[str, Any]]:
        pool, count, collateral, principal, *rest = parse.arity(params, 4, 5)
        options = parse.options(rest)
        count = parse.amount(count, "count")
        if count > MAX_BULK_ESCROWS:
            raise InvalidInput(f"count must be at most {MAX_BULK_ESCROWS}")
        args = (
            parse.address(pool, "pool"), parse.amount(collateral, "collateralAmount"), parse.amount(principal, "loanPrincipal"),
            self._loan_epoch(options.get("loanEpoch")), bool(options.get("registered", False)),
        )
        created = (self.state.create_escrow(*args) for _ in range(count))
        return [{"address": e["address"], "owner": e["owner"], "secretKey": e["secretKey"]} for e in created]

    async def dev_set_position(self, params: list[Any]) -> None:
        escrow, collateral, principal, *rest = parse.arity(params, 3, 4)
        self.state.set_position(
            parse.address(escrow, "escrow"), parse.amount(collateral, "collateralAmount"),
            parse.amount(principal, "loanPrincipal"), self._loan_epoch(rest[0] if rest else None),
        )
        return None

    async def dev_get_position(self, params: list[Any]) -> dict[str, Any]:
        (escrow,) = parse.arity(params, 1)
        return self.state.position(parse.address(escrow, "escrow"))

    async def dev_list_escrows(self, params: list[Any]) -> list[dict[str, Any]]:
        """Escrow addresses, owners and assets, never their keys (for a --demo PXE seeded at start)."""
        parse.arity(params, 0)
        return self.state.list_escrows()

    async def dev_mint(self, params: list[Any]) -> None:
        token, owner, amount = parse.arity(params, 3)
        self.state.mint(parse.address(token, "token"), parse.address(owner, "owner"), parse.amount(amount, "amount"))
        return None

    async def dev_set_latency(self, params: list[Any]) -> None:
        (ms,) = parse.arity(params, 1)
        self.latency_ms = parse.amount(ms, "latencyMs")
        return None

    async def dev_mine_block(self, params: list[Any]) -> int:
        """Mines the pending txs now (for tests run with block_time=0, where no block comes by itself)."""
        parse.arity(params, 0)
        return await self.produce_block()

    async def dev_list_txs(self, params: list[Any]) -> list[dict[str, Any]]:
        """This PXE's own record of every tx it accepted, with its status: the ground truth the chaos
        tests hold the engine's GET /liquidations against, one to one by hash."""
        parse.arity(params, 0)
        return self.state.tx_book()

    async def dev_get_job_stats(self, params: list[Any]) -> dict[str, Any]:
        """[{"reset"?, "history"?}]: the job queue's figures in model seconds (jobs.py); `reset` starts them over
        after answering, `history` adds the last jobs, each with its queue wait and its times."""
        options = parse.options(parse.arity(params, 0, 1))
        stats = self.jobs.stats(history=bool(options.get("history", False)))
        if options.get("reset"):
            self.jobs.reset()
        return stats

    def _loan_epoch(self, value: Any) -> int:
        """An escrow's loan as the protocol's borrow writes it now, unless told."""
        return self.state.default_loan_epoch(self.now()) if value is None else parse.amount(value, "loanEpoch")
