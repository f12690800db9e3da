"""nocom-v1 transactions in the development PXE: checked at send, simulated, then re-run at their block.

A tx is simulated when it is proven (pxe_sendTx or pxe_proveTx: a revert answers -32702 and it never
becomes a tx) and run again when its block is sealed, against the world as it then is (a revert there
is a `reverted` receipt). Both runs use the anchor timestamp taken when proven: the private part of an
Aztec tx is proven against that block, so its epoch (and the interest it charges) is fixed then, even
for a proven tx sent minutes later; its public part (the feed's prices, the pool's utilization) is
what the block sees. Its calls run in order, private parts first, then the public calls they enqueued;
any failure reverts the whole tx.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from devnet.pxe.core import AuthwitIntent, ContractCall, OverlaySet, PxeCore, Tx
from devnet.pxe.derivation import derive
from devnet.pxe.nocom_v1.abi import check_call
from devnet.pxe.nocom_v1.calls import CallContext, escrow_liquidate, feed_change_admin, feed_set_price, feed_set_prices
from devnet.pxe.nocom_v1.contracts import NoirAbort
from devnet.pxe.nocom_v1.reads import contract_kind
from devnet.pxe.nocom_v1.world import TxScratch, World
from devnet.pxe.rpc_errors import ExecutionError
from shared.pxe.fields import to_field


@dataclass
class NocomTx(Tx):
    anchor_timestamp: int = 0  # the block the private part was proven against (set when simulated at send)


class NocomTransactions(PxeCore):
    """Sends, simulations and blocks over PxeCore's book and NocomState's world."""

    world: World

    def new_tx(self, sender: str, calls: tuple[ContractCall, ...], authwits: frozenset[AuthwitIntent]) -> NocomTx:
        self.require_account(sender)
        for call in calls:
            check_call("pxe_sendTx", contract_kind(self.world, call.to), call.name, call.args)
        return NocomTx(hash=self._fresh("tx", sender), sender=sender, calls=calls, authwits=authwits)

    def simulate_tx(self, tx: NocomTx, now: int) -> None:
        """Proves (simulates) the tx against the block of `now`; raises ExecutionError with the revert reason."""
        tx.anchor_timestamp = now
        try:
            self._execute(tx)
        except NoirAbort as exc:
            raise ExecutionError(exc.message) from None

    def seal_block(self, batch: list[Tx]) -> int:
        """Mines `batch` (pending txs, in order), each re-run against the world as it then is."""
        self.take_batch(batch)
        for tx in batch:
            assert isinstance(tx, NocomTx)
            try:
                scratch = self._execute(tx)
            except NoirAbort as exc:
                tx.status, tx.error = "reverted", exc.message
                continue
            scratch.commit(self.consumed)
            for escrow in scratch.escrows:
                self.wrote_notes(escrow, tx.hash)
            tx.status = "success"
        return self.block_number

    def _execute(self, tx: NocomTx) -> TxScratch:
        """The private phase (every call in order), then the public calls it enqueued, in order."""
        scratch = TxScratch(self.world, OverlaySet(self.consumed))
        counter = itertools.count()
        ctx = CallContext(scratch, tx.sender, tx.anchor_timestamp, tx.authwits,
                          fresh_randomness=lambda: derive("randomness", tx.hash, next(counter)))
        for call in tx.calls:
            self._run(ctx, call)
        for public_call in ctx.public_calls:
            public_call()
        return scratch

    def _run(self, ctx: CallContext, call: ContractCall) -> None:
        """One entrypoint call: a private function runs now, a public one is enqueued (msg_sender = the account)."""
        args, sender = call.args, ctx.sender
        if call.name == "liquidate":
            problem = self.notes_problem(call.to)
            if problem is not None:  # the escrow's notes cannot be proven without its keys (nor found without its senders)
                raise NoirAbort(problem)
            escrow_liquidate(ctx, call.to, *args)
        elif call.name == "set_prices":
            assets = [to_field(a) for a in args[0:4]]
            ctx.enqueue(lambda: feed_set_prices(ctx, call.to, sender, assets, args[4], list(args[5:9])))
        elif call.name == "set_price":
            ctx.enqueue(lambda: feed_set_price(ctx, call.to, sender, to_field(args[0]), args[1]))
        elif call.name == "change_admin":
            ctx.enqueue(lambda: feed_change_admin(ctx, call.to, sender, to_field(args[0])))
