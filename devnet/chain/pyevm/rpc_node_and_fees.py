"""`rpc_*` methods for who the node is (client, chain id, accounts, height) and its EIP-1559 fees."""

from __future__ import annotations

from typing import Any

from devnet.chain.pyevm.chain_core import GWEI, ChainCore
from devnet.chain.pyevm.request_parsing import BLOCK_TAGS, parse_block_id, parse_quantity


class NodeAndFeeMethods(ChainCore):
    def rpc_web3_clientVersion(self, params: list[Any]) -> str:
        return "liquidator-devchain/py-evm"

    def rpc_net_version(self, params: list[Any]) -> str:
        return str(self.chain_id)

    def rpc_net_listening(self, params: list[Any]) -> bool:
        return True

    def rpc_eth_chainId(self, params: list[Any]) -> str:
        return hex(self.chain_id)

    def rpc_eth_syncing(self, params: list[Any]) -> bool:
        return False

    def rpc_eth_accounts(self, params: list[Any]) -> list[str]:
        return list(self.accounts)

    def rpc_eth_blockNumber(self, params: list[Any]) -> str:
        return hex(self._latest()["number"])

    def rpc_eth_gasPrice(self, params: list[Any]) -> str:
        return hex(self._pending_base_fee() + GWEI)

    def rpc_eth_maxPriorityFeePerGas(self, params: list[Any]) -> str:
        return hex(GWEI)

    def rpc_eth_blobBaseFee(self, params: list[Any]) -> str:
        return hex(1)

    def rpc_eth_feeHistory(self, params: list[Any]) -> dict[str, Any]:
        count = max(1, min(parse_quantity(params[0]) if params else 1, 1024))
        newest = parse_block_id(params[1] if len(params) > 1 else "latest")
        percentiles = params[2] if len(params) > 2 and params[2] else []
        latest = self._latest()["number"]
        newest_n = latest if newest in BLOCK_TAGS else min(int(newest), latest)
        oldest = max(0, newest_n - count + 1)
        base_fees, ratios, rewards = [], [], []
        for n in range(oldest, newest_n + 1):
            block = self.tester.get_block_by_number(n)
            base_fees.append(hex(block["base_fee_per_gas"]))
            ratios.append(block["gas_used"] / block["gas_limit"])
            rewards.append([hex(GWEI)] * len(percentiles))
        base_fees.append(hex(self._pending_base_fee()))
        out: dict[str, Any] = {"oldestBlock": hex(oldest), "baseFeePerGas": base_fees, "gasUsedRatio": ratios}
        if percentiles:
            out["reward"] = rewards
        return out
