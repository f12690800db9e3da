"""A local EVM chain for when anvil is unavailable: py-evm (eth-tester) served over HTTP JSON-RPC.

    python -m devnet.chain.pyevm --port 8545

Everything else talks to it through `RPC_URL` exactly as it talks to anvil, so it only has
to answer the standard `eth_*` methods the way a node does. What it takes care of:

- the same chain id (31337) and pre-funded development accounts (10 000 ETH each) as anvil;
- auto-mining: every accepted transaction is mined at once in its own block (`evm_setAutomine`
  false queues them until `evm_mine`, as on anvil);
- wall-clock block timestamps, because consumers compare the oracle's `updatedAt` with the
  current time. eth-tester on its own stamps a block with the time its *previous* block was
  mined, and py-evm insists on strictly increasing timestamps, so a burst of transactions would
  push the chain's clock ahead of the wall clock (one second per block). Like anvil, the dev
  chain lets blocks mined within the same second share its timestamp instead.
  `evm_increaseTime` / `evm_setNextBlockTimestamp` work as on anvil;
- reverts reported like anvil/geth: a JSON-RPC error `{"code": 3, "message": "execution
  reverted: <reason>", "data": "0x08c379a0..."}` from `eth_call` / `eth_estimateGas`, and a
  mined receipt with `status` 0 for a reverting transaction sent with an explicit gas limit;
- `eth_call` / `eth_estimateGas` without `from` run as the first funded account (py-evm checks
  the sender's balance even for calls);
- EIP-1559: `eth_maxPriorityFeePerGas` is 1 gwei, `eth_feeHistory` and `baseFeePerGas` are real;
- with auto-mining off (`--no-mining`, `--block-time`), a pool answering like geth's
  (`devnet.chain.pool`); a nonce gap is refused ("nonce too high"), not queued.

It is a development stand-in (one lock around one in-memory chain), not a node.
"""

from __future__ import annotations

import argparse
import ast
import json
import logging
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from devnet.chain import pool
from devnet.chain.keys import ANVIL_CHAIN_ID, ANVIL_DEV_KEYS

log = logging.getLogger("devnet.chain.pyevm")

ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
GWEI = 10**9
BLOCK_TAGS = ("latest", "pending", "earliest", "safe", "finalized")


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            err["data"] = self.data
        return err


# ---------------------------------------------------------------- wire formatting


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _hex_quantity(value: int) -> str:
    return hex(value)


def _wire(value: Any) -> Any:
    """eth-tester output (snake_case keys, ints, hex strings) → JSON-RPC wire format."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return _hex_quantity(value)
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [_wire(v) for v in value]
    if isinstance(value, dict):
        return {_camel(k): _wire(v) for k, v in value.items()}
    return value


def _bloom_hex(value: int) -> str:
    return "0x" + value.to_bytes(256, "big").hex()


def _wire_log(entry: dict[str, Any]) -> dict[str, Any]:
    out = _wire({k: v for k, v in entry.items() if k != "type"})
    out["removed"] = False
    return out


def _wire_tx(tx: dict[str, Any]) -> dict[str, Any]:
    tx = dict(tx)
    tx["input"] = tx.pop("data", "0x")
    if tx.get("to") in ("", b""):
        tx["to"] = None
    access_list = tx.pop("access_list", None)
    out = _wire(tx)
    if access_list is not None:
        out["accessList"] = [
            {"address": item["address"], "storageKeys": list(item.get("storage_keys", ()))} for item in access_list
        ]
    return out


def _wire_block(block: dict[str, Any], full: bool) -> dict[str, Any]:
    block = dict(block)
    bloom = block.pop("logs_bloom", 0)
    block["miner"] = block.pop("coinbase", "0x" + "00" * 20)
    txs = block.pop("transactions", [])
    out = _wire(block)
    out["logsBloom"] = _bloom_hex(bloom) if isinstance(bloom, int) else bloom
    out["transactions"] = [_wire_tx(t) if isinstance(t, dict) else t for t in txs] if full else [
        t["hash"] if isinstance(t, dict) else t for t in txs
    ]
    return out


def _wire_receipt(receipt: dict[str, Any]) -> dict[str, Any]:
    from eth_bloom import BloomFilter

    receipt = dict(receipt)
    receipt.pop("state_root", None)
    logs = receipt.pop("logs", [])
    if receipt.get("to") in ("", b""):
        receipt["to"] = None
    bloom = BloomFilter()
    for entry in logs:
        bloom.add(bytes.fromhex(entry["address"][2:]))
        for topic in entry["topics"]:
            bloom.add(bytes.fromhex(topic[2:]))
    out = _wire(receipt)
    out["logs"] = [_wire_log(e) for e in logs]
    out["logsBloom"] = _bloom_hex(int(bloom))
    return out


# ---------------------------------------------------------------- inbound parsing


def _int(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value, 16) if value.startswith(("0x", "0X")) else int(value)
    raise RpcError(-32602, f"invalid quantity: {value!r}")


def _block_id(value: Any, default: str = "latest") -> Any:
    if value is None:
        return default
    if isinstance(value, dict):  # EIP-1898 {"blockNumber": ...} / {"blockHash": ...}
        if "blockNumber" in value:
            return _block_id(value["blockNumber"])
        raise RpcError(-32602, "block hash selectors are not supported by the dev chain")
    if value in BLOCK_TAGS:
        return value
    return _int(value)


_TX_KEYS = {
    "from": "from",
    "to": "to",
    "gas": "gas",
    "gasPrice": "gas_price",
    "maxFeePerGas": "max_fee_per_gas",
    "maxPriorityFeePerGas": "max_priority_fee_per_gas",
    "value": "value",
    "data": "data",
    "input": "data",
    "nonce": "nonce",
    "chainId": "chain_id",
    "accessList": "access_list",
}
_TX_INT_KEYS = {"gas", "gas_price", "max_fee_per_gas", "max_priority_fee_per_gas", "value", "nonce", "chain_id"}


def _tx_params(raw: dict[str, Any], default_from: str) -> dict[str, Any]:
    tx: dict[str, Any] = {}
    for key, value in raw.items():
        name = _TX_KEYS.get(key)
        if name is None or value is None:
            continue
        if name in _TX_INT_KEYS:
            value = _int(value)
        if name == "access_list":
            value = [{"address": i["address"], "storage_keys": i.get("storageKeys", [])} for i in value]
        tx[name] = value
    tx.setdefault("from", default_from)
    if tx.get("to") in ("", "0x"):
        tx.pop("to")
    return tx


# ---------------------------------------------------------------- revert decoding


def _revert_payload(exc: BaseException) -> tuple[str, bytes | None]:
    """(reason, raw revert data) from an eth-tester TransactionFailed."""
    arg: Any = exc.args[0] if exc.args else b""
    if isinstance(arg, BaseException):  # estimate_gas wraps py-evm's Revert(bytes)
        arg = arg.args[0] if arg.args else b""
    if isinstance(arg, str) and arg[:2] in ("b'", 'b"'):  # call() stringifies non-standard data
        try:
            arg = ast.literal_eval(arg)
        except (ValueError, SyntaxError):
            pass
    if isinstance(arg, (bytes, bytearray)):
        data = bytes(arg)
        return _decode_reason(data), data
    reason = str(arg)
    if reason in ("", "Revert"):
        return "", b""
    # eth-tester's call() already decoded an Error(string) reason: re-encode it like a node would.
    from eth_abi import encode

    return reason, ERROR_SELECTOR + encode(["string"], [reason])


def _decode_reason(data: bytes) -> str:
    if data[:4] == ERROR_SELECTOR:
        from eth_abi import decode

        try:
            return str(decode(["string"], data[4:])[0])
        except Exception:  # noqa: BLE001 - malformed payload
            return ""
    return ""


def _revert_error(exc: BaseException) -> RpcError:
    reason, data = _revert_payload(exc)
    message = f"execution reverted: {reason}" if reason else "execution reverted"
    return RpcError(3, message, "0x" + data.hex() if data is not None else None)


# ---------------------------------------------------------------- the chain


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



class DevChain:
    """One in-memory py-evm chain with a JSON-RPC dispatcher (thread-safe behind one lock)."""

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
        self._methods: dict[str, Callable[[list[Any]], Any]] = {
            name[4:].replace("__", "_"): getattr(self, name) for name in dir(self) if name.startswith("rpc_")
        }

    # -- plumbing -----------------------------------------------------------

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
            raise _revert_error(exc) from exc

    # -- identity / fees ------------------------------------------------------

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

    def _pending_base_fee(self) -> int:
        return int(self.backend.chain.header.base_fee_per_gas)

    def rpc_eth_gasPrice(self, params: list[Any]) -> str:
        return hex(self._pending_base_fee() + GWEI)

    def rpc_eth_maxPriorityFeePerGas(self, params: list[Any]) -> str:
        return hex(GWEI)

    def rpc_eth_blobBaseFee(self, params: list[Any]) -> str:
        return hex(1)

    def rpc_eth_feeHistory(self, params: list[Any]) -> dict[str, Any]:
        count = max(1, min(_int(params[0]) if params else 1, 1024))
        newest = _block_id(params[1] if len(params) > 1 else "latest")
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

    # -- state ------------------------------------------------------------

    def rpc_eth_getBalance(self, params: list[Any]) -> str:
        return hex(self.tester.get_balance(params[0], _block_id(params[1] if len(params) > 1 else None)))

    def rpc_eth_getTransactionCount(self, params: list[Any]) -> str:
        block = _block_id(params[1] if len(params) > 1 else None)
        nonce = self.tester.get_nonce(params[0], "latest" if block == "pending" else block)
        if block == "pending":  # with auto-mining off, count the sender's queued transactions too
            sender = params[0].lower()
            nonce += sum(1 for tx in self.tester._pending_transactions if str(tx.get("from", "")).lower() == sender)
        return hex(nonce)

    def rpc_eth_getCode(self, params: list[Any]) -> str:
        code = self.tester.get_code(params[0], _block_id(params[1] if len(params) > 1 else None))
        return code if isinstance(code, str) else "0x" + bytes(code).hex()

    def rpc_eth_getStorageAt(self, params: list[Any]) -> str:
        slot = hex(_int(params[1]))
        value = self.tester.get_storage_at(params[0], slot, _block_id(params[2] if len(params) > 2 else None))
        if isinstance(value, (bytes, bytearray)):
            value = "0x" + bytes(value).hex()
        return "0x" + value.removeprefix("0x").rjust(64, "0")

    def _call_block(self, value: Any) -> Any:
        block = _block_id(value)
        return "latest" if block == "pending" else block

    def rpc_eth_call(self, params: list[Any]) -> str:
        tx = _tx_params(params[0], self._default_from())
        block = self._call_block(params[1] if len(params) > 1 else None)
        out = self._revert_check(lambda: self.tester.call(tx, block))
        return out if isinstance(out, str) else "0x" + bytes(out).hex()

    def rpc_eth_estimateGas(self, params: list[Any]) -> str:
        tx = _tx_params(params[0], self._default_from())
        tx.pop("gas", None)
        block = _block_id(params[1] if len(params) > 1 else None)
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

    # -- blocks, transactions, logs -----------------------------------------

    def rpc_eth_getBlockByNumber(self, params: list[Any]) -> dict[str, Any] | None:
        from eth_tester.exceptions import BlockNotFound

        full = bool(params[1]) if len(params) > 1 else False
        try:
            return _wire_block(self.tester.get_block_by_number(_block_id(params[0]), full_transactions=full), full)
        except BlockNotFound:
            return None

    def rpc_eth_getBlockByHash(self, params: list[Any]) -> dict[str, Any] | None:
        from eth_tester.exceptions import BlockNotFound

        full = bool(params[1]) if len(params) > 1 else False
        try:
            return _wire_block(self.tester.get_block_by_hash(params[0], full_transactions=full), full)
        except BlockNotFound:
            return None

    def rpc_eth_getTransactionByHash(self, params: list[Any]) -> dict[str, Any] | None:
        from eth_tester.exceptions import TransactionNotFound

        try:
            return _wire_tx(self.tester.get_transaction_by_hash(params[0]))
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
        return _wire_receipt(receipt)

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
        return [_wire_log(e) for e in logs]

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
        return pool.content(self.tester, _wire_tx)

    def rpc_eth_sendTransaction(self, params: list[Any]) -> str:
        tx = _tx_params(params[0], self._default_from())
        if "max_fee_per_gas" not in tx and "gas_price" not in tx:
            tx["max_priority_fee_per_gas"] = tx.get("max_priority_fee_per_gas", GWEI)
            tx["max_fee_per_gas"] = 2 * self._pending_base_fee() + tx["max_priority_fee_per_gas"]
        if "gas" not in tx:
            estimate = self._revert_check(lambda: self.tester.estimate_gas(dict(tx)))
            tx["gas"] = estimate
        self._prepare_next_block()
        return self.tester.send_transaction(tx)

    # -- dev helpers (anvil/hardhat compatible) -------------------------------

    def rpc_evm_mine(self, params: list[Any]) -> str:
        if params and params[0] is not None:
            self._next_timestamp = _int(params[0])
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
        self._time_offset += _int(params[0])
        return hex(self._time_offset)

    def rpc_evm_setNextBlockTimestamp(self, params: list[Any]) -> None:
        self._next_timestamp = _int(params[0])
        return None

    def rpc_anvil_setNextBlockTimestamp(self, params: list[Any]) -> None:
        return self.rpc_evm_setNextBlockTimestamp(params)

    def rpc_anvil_mine(self, params: list[Any]) -> None:
        blocks = _int(params[0]) if params and params[0] is not None else 1
        for _ in range(blocks):
            self.rpc_evm_mine([])
        return None

    def rpc_evm_snapshot(self, params: list[Any]) -> str:
        return hex(self.tester.take_snapshot())

    def rpc_evm_revert(self, params: list[Any]) -> bool:
        try:
            self.tester.revert_to_snapshot(_int(params[0]))
        except Exception:  # noqa: BLE001 - unknown snapshot id
            return False
        return True


# ---------------------------------------------------------------- HTTP server


def make_server(chain: DevChain, host: str = "127.0.0.1", port: int = 8545) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "liquidator-devchain"

        def log_message(self, fmt: str, *args: Any) -> None:  # quiet: one line per request is noise
            log.debug(fmt, *args)

        def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            self._reply(200, b"OK\n", "text/plain")

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            if length > 10 * 1024 * 1024:
                self._reply(413, b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"request too large"}}')
                return
            raw = self.rfile.read(length)
            try:
                request = json.loads(raw)
            except ValueError:
                response: Any = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
            else:
                response = chain.handle(request)
            self._reply(200, json.dumps(response).encode())

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def _mine_every(chain: DevChain, seconds: float) -> None:
    while True:
        time.sleep(seconds)
        chain.handle({"jsonrpc": "2.0", "id": 0, "method": "evm_mine", "params": []})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local py-evm chain over HTTP JSON-RPC (anvil stand-in).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8545)
    parser.add_argument("--chain-id", type=int, default=ANVIL_CHAIN_ID)
    parser.add_argument("--silent", action="store_true", help="print nothing but errors")
    mining = parser.add_mutually_exclusive_group()
    mining.add_argument("--no-mining", action="store_true", help="keep transactions pending until evm_mine (as anvil)")
    mining.add_argument("--block-time", type=float, help="mine a block every this many seconds (as anvil)")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    chain = DevChain(chain_id=args.chain_id)
    if args.no_mining or args.block_time:
        chain.handle({"jsonrpc": "2.0", "id": 0, "method": "evm_setAutomine", "params": [False]})
    if args.block_time:
        threading.Thread(target=_mine_every, args=(chain, args.block_time), daemon=True).start()
    server = make_server(chain, args.host, args.port)

    def _stop(signum: int, _frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if not args.silent:
        host, port = server.server_address[:2]
        print(f"py-evm dev chain (chain id {args.chain_id}) listening on http://{host}:{port}", flush=True)
        for i, address in enumerate(chain.accounts):
            print(f"  ({i}) {address}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
