"""`rpc_*` methods reading account state (balance, nonce, code, storage) and running `eth_call`."""

from __future__ import annotations

from typing import Any

from devnet.chain.pyevm.chain_core import ChainCore
from devnet.chain.pyevm.request_parsing import parse_block_id, parse_quantity, parse_tx


class StateAndCallMethods(ChainCore):
    def rpc_eth_getBalance(self, params: list[Any]) -> str:
        return hex(self.tester.get_balance(params[0], parse_block_id(params[1] if len(params) > 1 else None)))

    def rpc_eth_getTransactionCount(self, params: list[Any]) -> str:
        block = parse_block_id(params[1] if len(params) > 1 else None)
        nonce = self.tester.get_nonce(params[0], "latest" if block == "pending" else block)
        if block == "pending":  # with auto-mining off, count the sender's queued transactions too
            sender = params[0].lower()
            nonce += sum(1 for tx in self.tester._pending_transactions if str(tx.get("from", "")).lower() == sender)
        return hex(nonce)

    def rpc_eth_getCode(self, params: list[Any]) -> str:
        code = self.tester.get_code(params[0], parse_block_id(params[1] if len(params) > 1 else None))
        return code if isinstance(code, str) else "0x" + bytes(code).hex()

    def rpc_eth_getStorageAt(self, params: list[Any]) -> str:
        slot = hex(parse_quantity(params[1]))
        value = self.tester.get_storage_at(params[0], slot, parse_block_id(params[2] if len(params) > 2 else None))
        if isinstance(value, (bytes, bytearray)):
            value = "0x" + bytes(value).hex()
        return "0x" + value.removeprefix("0x").rjust(64, "0")

    def rpc_eth_call(self, params: list[Any]) -> str:
        tx = parse_tx(params[0], self._default_from())
        block = self._call_block(params[1] if len(params) > 1 else None)
        out = self._revert_check(lambda: self.tester.call(tx, block))
        return out if isinstance(out, str) else "0x" + bytes(out).hex()
