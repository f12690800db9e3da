"""`rpc_*` methods reading the mined history: blocks, transactions, receipts and logs."""

from __future__ import annotations

from typing import Any

from devnet.chain.pyevm.chain_core import ChainCore
from devnet.chain.pyevm.request_parsing import parse_block_id
from devnet.chain.pyevm.wire_format import wire_block, wire_log, wire_receipt, wire_tx


class BlockAndLogMethods(ChainCore):
    def rpc_eth_getBlockByNumber(self, params: list[Any]) -> dict[str, Any] | None:
        from eth_tester.exceptions import BlockNotFound

        full = bool(params[1]) if len(params) > 1 else False
        try:
            return wire_block(self.tester.get_block_by_number(parse_block_id(params[0]), full_transactions=full), full)
        except BlockNotFound:
            return None

    def rpc_eth_getBlockByHash(self, params: list[Any]) -> dict[str, Any] | None:
        from eth_tester.exceptions import BlockNotFound

        full = bool(params[1]) if len(params) > 1 else False
        try:
            return wire_block(self.tester.get_block_by_hash(params[0], full_transactions=full), full)
        except BlockNotFound:
            return None

    def rpc_eth_getTransactionByHash(self, params: list[Any]) -> dict[str, Any] | None:
        from eth_tester.exceptions import TransactionNotFound

        try:
            return wire_tx(self.tester.get_transaction_by_hash(params[0]))
        except TransactionNotFound:
            return None

    def rpc_eth_getTransactionReceipt(self, params: list[Any]) -> dict[str, Any] | None:
        from eth_tester.exceptions import TransactionNotFound

        try:
            receipt = self.tester.get_transaction_receipt(params[0])
        except TransactionNotFound:
            return None
        if receipt.get("block_number") is None:
            return None
        return wire_receipt(receipt)

    def rpc_eth_getLogs(self, params: list[Any]) -> list[dict[str, Any]]:
        flt = params[0] if params else {}
        if "blockHash" in flt and flt["blockHash"]:
            block = self.tester.get_block_by_hash(flt["blockHash"])
            from_block = to_block = block["number"]
        else:
            from_block = self._call_block(flt.get("fromBlock"))
            to_block = self._call_block(flt.get("toBlock"))
        latest = self._latest()["number"]
        if isinstance(to_block, int) and to_block > latest:
            to_block = latest
        if isinstance(from_block, int) and from_block > latest:
            return []
        topics = flt.get("topics")
        if topics is not None:
            # eth-tester wants every position present; trailing wildcards can be dropped.
            topics = [list(t) if isinstance(t, list) else t for t in topics]
            while topics and topics[-1] is None:
                topics.pop()
            topics = topics or None
        logs = self.tester.get_logs(from_block=from_block, to_block=to_block, address=flt.get("address"), topics=topics)
        return [wire_log(e) for e in logs]
