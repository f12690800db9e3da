"""`rpc_*` methods taking transactions in (raw or signed by a dev key) and showing the pending pool."""

from __future__ import annotations

from typing import Any

from devnet.chain import pool
from devnet.chain.pyevm.chain_core import GWEI, ChainCore
from devnet.chain.pyevm.request_parsing import parse_tx
from devnet.chain.pyevm.rpc_error import RpcError
from devnet.chain.pyevm.wire_format import wire_tx


class TransactionMethods(ChainCore):
    def rpc_eth_sendRawTransaction(self, params: list[Any]) -> str:
        raw = params[0]
        refused = pool.refusal(self.tester, raw)
        if refused:
            raise RpcError(-32000, refused)
        self._prepare_next_block()
        try:
            return self.tester.send_raw_transaction(raw)
        except Exception as exc:
            # A rejected transaction leaves no block behind; py-evm raises plain ValidationError
            # for nonce/balance/fee problems, which nodes report as -32000 / -32003.
            message = pool.node_message(str(exc))
            raise RpcError(-32003 if "afford" in message or "balance" in message else -32000, message) from exc

    def rpc_txpool_content(self, params: list[Any]) -> dict[str, Any]:
        return pool.content(self.tester, wire_tx)

    def rpc_eth_sendTransaction(self, params: list[Any]) -> str:
        tx = parse_tx(params[0], self._default_from())
        if "max_fee_per_gas" not in tx and "gas_price" not in tx:
            tx["max_priority_fee_per_gas"] = tx.get("max_priority_fee_per_gas", GWEI)
            tx["max_fee_per_gas"] = 2 * self._pending_base_fee() + tx["max_priority_fee_per_gas"]
        if "gas" not in tx:
            estimate = self._revert_check(lambda: self.tester.estimate_gas(dict(tx)))
            tx["gas"] = estimate
        self._prepare_next_block()
        return self.tester.send_transaction(tx)
