"""Dev-only `rpc_*` methods, anvil/hardhat compatible: mining on demand or auto, the block clock, snapshots."""

from __future__ import annotations

from typing import Any

from devnet.chain.pyevm.chain_core import ChainCore
from devnet.chain.pyevm.request_parsing import parse_quantity


class MiningClockSnapshotMethods(ChainCore):
    def rpc_evm_mine(self, params: list[Any]) -> str:
        if params and params[0] is not None:
            self._next_timestamp = parse_quantity(params[0])
        self._prepare_next_block()
        self.tester.mine_block()
        return "0x0"

    def rpc_evm_setAutomine(self, params: list[Any]) -> None:
        if params and params[0]:
            if not self.tester.auto_mine_transactions:
                self._prepare_next_block()
                self.tester.enable_auto_mine_transactions()  # mines what was queued
        else:
            self.tester.disable_auto_mine_transactions()
        return None

    def rpc_evm_increaseTime(self, params: list[Any]) -> str:
        self._time_offset += parse_quantity(params[0])
        return hex(self._time_offset)

    def rpc_evm_setNextBlockTimestamp(self, params: list[Any]) -> None:
        self._next_timestamp = parse_quantity(params[0])
        return None

    def rpc_anvil_setNextBlockTimestamp(self, params: list[Any]) -> None:
        return self.rpc_evm_setNextBlockTimestamp(params)

    def rpc_anvil_mine(self, params: list[Any]) -> None:
        blocks = parse_quantity(params[0]) if params and params[0] is not None else 1
        for _ in range(blocks):
            self.rpc_evm_mine([])
        return None

    def rpc_evm_snapshot(self, params: list[Any]) -> str:
        return hex(self.tester.take_snapshot())

    def rpc_evm_revert(self, params: list[Any]) -> bool:
        try:
            self.tester.revert_to_snapshot(parse_quantity(params[0]))
        except Exception:  # noqa: BLE001 - unknown snapshot id
            return False
        return True
