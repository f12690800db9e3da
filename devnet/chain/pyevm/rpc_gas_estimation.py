"""`eth_estimateGas`: on the latest block through eth-tester, or (as anvil) on the pending block at the present time."""

from __future__ import annotations

from typing import Any

from devnet.chain.pyevm.chain_core import ChainCore
from devnet.chain.pyevm.request_parsing import parse_block_id, parse_tx


class GasEstimationMethods(ChainCore):
    def rpc_eth_estimateGas(self, params: list[Any]) -> str:
        tx = parse_tx(params[0], self._default_from())
        tx.pop("gas", None)
        block = parse_block_id(params[1] if len(params) > 1 else None)
        if block == "pending":  # as anvil: in the next block, stamped with the present time
            return hex(self._revert_check(lambda: self._estimate_on_pending(tx)))
        return hex(self._revert_check(lambda: self.tester.estimate_gas(tx, block)))

    def _estimate_on_pending(self, tx: dict[str, Any]) -> int:
        from eth.exceptions import InvalidInstruction, Revert
        from eth.vm.spoof import SpoofTransaction
        from eth_tester.exceptions import TransactionFailed

        try:
            return self._estimate_in_next_block(tx, SpoofTransaction)
        except (Revert, InvalidInstruction) as exc:  # as eth-tester reports them for the latest block
            raise TransactionFailed(*exc.args) from exc

    def _estimate_in_next_block(self, tx: dict[str, Any], spoof: Any) -> int:
        self._prepare_next_block()
        self.tester.validator.validate_inbound_transaction(tx, txn_internal_type="estimate")
        raw = {**self.tester.normalizer.normalize_inbound_transaction(tx), "gas": 21000}
        unsigned = self.backend._get_normalized_and_unsigned_evm_transaction(raw, "latest")
        chain = self.backend.chain
        return int(chain.estimate_gas(spoof(unsigned, from_=raw["from"]), chain.header))
