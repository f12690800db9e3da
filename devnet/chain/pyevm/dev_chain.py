"""`DevChain`: the py-evm dev chain answering JSON-RPC requests (single or batch) with every `rpc_*` method group."""

from __future__ import annotations

import logging
from typing import Any, Callable

from devnet.chain.keys import ANVIL_CHAIN_ID
from devnet.chain.pyevm.rpc_blocks_and_logs import BlockAndLogMethods
from devnet.chain.pyevm.rpc_error import RpcError
from devnet.chain.pyevm.rpc_gas_estimation import GasEstimationMethods
from devnet.chain.pyevm.rpc_mining_clock_snapshots import MiningClockSnapshotMethods
from devnet.chain.pyevm.rpc_node_and_fees import NodeAndFeeMethods
from devnet.chain.pyevm.rpc_state_and_calls import StateAndCallMethods
from devnet.chain.pyevm.rpc_transactions import TransactionMethods

log = logging.getLogger("devnet.chain.pyevm")


class DevChain(
    NodeAndFeeMethods,
    StateAndCallMethods,
    GasEstimationMethods,
    BlockAndLogMethods,
    TransactionMethods,
    MiningClockSnapshotMethods,
):
    """One in-memory py-evm chain with a JSON-RPC dispatcher (thread-safe behind one lock).

    Method `rpc_eth_getBalance` answers JSON-RPC method `eth_getBalance`, and so on.
    """

    def __init__(
        self,
        chain_id: int = ANVIL_CHAIN_ID,
        keys: list[str] | None = None,
        balance_wei: int = 10_000 * 10**18,
    ) -> None:
        super().__init__(chain_id=chain_id, keys=keys, balance_wei=balance_wei)
        self._methods: dict[str, Callable[[list[Any]], Any]] = {
            name[4:].replace("__", "_"): getattr(self, name) for name in dir(self) if name.startswith("rpc_")
        }

    def handle(self, request: Any) -> Any:
        """One JSON-RPC request object (or a batch list) → the response object(s)."""
        if isinstance(request, list):
            if not request:
                return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "empty batch"}}
            return [self.handle(item) for item in request]
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "invalid request"}}
        req_id = request.get("id")
        method = request["method"]
        params = request.get("params") or []
        if not isinstance(params, list):
            params = [params]
        try:
            fn = self._methods.get(method)
            if fn is None:
                raise RpcError(-32601, f"method not found: {method}")
            with self.lock:
                result = fn(params)
            return {"jsonrpc": "2.0", "id": req_id, "result": result}
        except RpcError as exc:
            return {"jsonrpc": "2.0", "id": req_id, "error": exc.to_json()}
        except Exception as exc:  # noqa: BLE001 - any chain-side failure is an RPC error, never a crash
            log.debug("rpc %s failed", method, exc_info=True)
            message = str(exc) or type(exc).__name__
            return {"jsonrpc": "2.0", "id": req_id, "error": {"code": -32000, "message": message}}
