"""The in-memory eth-tester chain every `rpc_*` method group works on, with anvil's wall-clock block timestamps.

`ChainCore` holds the chain, its lock and clock, and the few helpers the method groups share
(the latest block, the pending base fee, stamping the next block, reverts as RPC errors).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from devnet.chain.keys import ANVIL_CHAIN_ID, ANVIL_DEV_KEYS
from devnet.chain.pyevm.request_parsing import parse_block_id
from devnet.chain.pyevm.reverts import revert_error

GWEI = 10**9


def _same_second_vm(base: Any) -> Any:
    """`base` VM class that accepts a block with its parent's timestamp (anvil does; py-evm does not)."""

    class DevChainVM(base):  # type: ignore[misc, valid-type]
        @classmethod
        def validate_header(cls, header: Any, parent_header: Any) -> None:
            if parent_header is not None and header.timestamp == parent_header.timestamp:
                # Only the "strictly later" check reads the parent's timestamp.
                parent_header = parent_header.copy(timestamp=parent_header.timestamp - 1)
            super().validate_header(header, parent_header)

    DevChainVM.__name__ = DevChainVM.__qualname__ = f"DevChain{base.__name__}"
    return DevChainVM


class ChainCore:
    """One in-memory py-evm chain (eth-tester), pre-funded like anvil; callers hold `lock`."""

    def __init__(
        self,
        chain_id: int = ANVIL_CHAIN_ID,
        keys: list[str] | None = None,
        balance_wei: int = 10_000 * 10**18,
    ) -> None:
        from eth_keys import keys as eth_keys
        from eth_tester import EthereumTester, PyEVMBackend
        from eth_tester.backends.pyevm.main import generate_genesis_state_for_keys

        private_keys = [eth_keys.PrivateKey(bytes.fromhex(k.removeprefix("0x"))) for k in (keys or ANVIL_DEV_KEYS)]
        genesis_state = generate_genesis_state_for_keys(private_keys, overrides={"balance": balance_wei})
        backend = PyEVMBackend(genesis_state=genesis_state)
        backend.account_keys = tuple(private_keys)  # eth_accounts / eth_sendTransaction use the same keys
        # The tester chain class is created per backend; py-evm builds each VM's ChainContext from it.
        chain_class = type(backend.chain)
        chain_class.chain_id = chain_id
        chain_class.vm_configuration = tuple((start, _same_second_vm(vm)) for start, vm in chain_class.vm_configuration)
        self.chain_id = chain_id
        self.backend = backend
        self.tester = EthereumTester(backend=backend, auto_mine_transactions=True)
        self.accounts: list[str] = list(self.tester.get_accounts())
        self.lock = threading.RLock()
        self._time_offset = 0
        self._next_timestamp: int | None = None

    def _latest(self) -> dict[str, Any]:
        return self.tester.get_block_by_number("latest")

    def _prepare_next_block(self) -> None:
        """Stamp the pending block with the wall clock (anvil behaviour), never going backwards."""
        chain = self.backend.chain
        parent_ts = self._latest()["timestamp"]
        if self._next_timestamp is not None:
            ts = max(self._next_timestamp, parent_ts)
            self._next_timestamp = None
        else:
            ts = max(int(time.time()) + self._time_offset, parent_ts)
        chain.header = chain.header.copy(timestamp=ts)

    def _default_from(self) -> str:
        return self.accounts[0]

    def _revert_check(self, fn: Callable[[], Any]) -> Any:
        from eth_tester.exceptions import TransactionFailed

        try:
            return fn()
        except TransactionFailed as exc:
            raise revert_error(exc) from exc

    def _pending_base_fee(self) -> int:
        return int(self.backend.chain.header.base_fee_per_gas)

    def _call_block(self, value: Any) -> Any:
        block = parse_block_id(value)
        return "latest" if block == "pending" else block
