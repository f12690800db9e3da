"""Async EVM access over JSON-RPC (web3 8): a connection and a local-key transaction sender.

`TxSender` signs locally with eth-account, prices EIP-1559 fees itself, hands out nonces from
one manager per key (shared by every sender for that key on the same RPC endpoint and event
loop), waits for the receipt and checks its status. Every failure comes out as one of two
errors: `TxReverted` (the EVM rejected the call: at estimate time, at send time, or mined
with status 0; anvil and py-evm report these differently) or `TxFailed` (everything else:
node unreachable, timeout, nonce or balance problems).
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from typing import Any

import httpx
from eth_abi import decode as abi_decode
from eth_account import Account
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import AsyncWeb3
from web3.exceptions import ContractLogicError, TimeExhausted, TransactionNotFound, Web3RPCError

from shared.evm.provider import HttpxProvider

__all__ = ["Chain", "ChainError", "TxFailed", "TxResult", "TxReverted", "TxSender", "revert_reason"]

GWEI = 10**9
DEFAULT_PRIORITY_FEE = 1 * GWEI
ERROR_SELECTOR = "08c379a0"  # Error(string)
PANIC_SELECTOR = "4e487b71"  # Panic(uint256)
GAS_MARGIN_NUM, GAS_MARGIN_DEN, GAS_MARGIN_ADD = 6, 5, 10_000  # estimate × 1.2 + 10 000


class ChainError(Exception):
    """Base of the two errors the EVM layer raises."""


class TxReverted(ChainError):
    """The EVM reverted the call or transaction. `tx_hash` is set when a transaction was mined."""

    def __init__(self, reason: str, tx_hash: str | None = None) -> None:
        self.reason = reason or "execution reverted"
        self.tx_hash = tx_hash
        super().__init__(self.reason if tx_hash is None else f"{self.reason} (tx {tx_hash})")


class TxFailed(ChainError):
    """Anything but a revert: unreachable node, timeout, rejected by the node (nonce, funds, ...).

    `tx_hash` is set when the transaction had been accepted by the node (e.g. no receipt in time),
    so the caller can resolve it from its receipt later instead of sending again blindly.
    """

    def __init__(self, error: str, tx_hash: str | None = None) -> None:
        self.error = error
        self.tx_hash = tx_hash
        super().__init__(error if tx_hash is None else f"{error} (tx {tx_hash})")


@dataclass(frozen=True)
class TxResult:
    tx_hash: str  # 0x-hex
    block_number: int
    gas_used: int
    contract_address: str | None = None


# ---------------------------------------------------------------- error normalisation


def _hex_data(data: Any) -> str | None:
    if isinstance(data, (bytes, bytearray)):
        return bytes(data).hex()
    if isinstance(data, str):
        text = data.strip()
        if text.startswith("Reverted "):
            text = text[len("Reverted ") :]
        if text.startswith(("0x", "0X")):
            body = text[2:]
            try:
                bytes.fromhex(body)
            except ValueError:
                return None
            return body.lower()
    if isinstance(data, dict):  # some nodes nest it: {"data": "0x..."} / {"message":..., "data":...}
        return _hex_data(data.get("data"))
    return None


def decode_revert_data(data: Any) -> str | None:
    """A reason string from revert data: Error(string), Panic(uint256) or a custom error selector."""
    body = _hex_data(data)
    if body is None or body == "":
        return None
    raw = bytes.fromhex(body)
    if body.startswith(ERROR_SELECTOR):
        try:
            return str(abi_decode(["string"], raw[4:])[0])
        except Exception:  # noqa: BLE001 - malformed payload
            return None
    if body.startswith(PANIC_SELECTOR) and len(raw) >= 36:
        return f"Panic(0x{int.from_bytes(raw[4:36], 'big'):02x})"
    if len(raw) >= 4:
        return f"custom error 0x{body[:8]}"
    return None


def _strip_prefix(message: str) -> str:
    text = message.strip()
    for prefix in ("execution reverted:", "execution reverted", "VM Exception while processing transaction: revert",
                   "VM Exception while processing transaction:", "reverted:", "revert"):
        if text.lower().startswith(prefix.lower()):
            text = text[len(prefix) :].strip()
            break
    return text


def revert_reason(exc: BaseException) -> str | None:
    """The revert reason when `exc` reports an EVM revert (any node's shape), else None."""
    if isinstance(exc, ContractLogicError):
        reason = decode_revert_data(exc.data)
        if reason:
            return reason
        message = exc.message if isinstance(getattr(exc, "message", None), str) else str(exc)
        return _strip_prefix(message) or "execution reverted"
    if isinstance(exc, Web3RPCError):
        error = (exc.rpc_response or {}).get("error") if isinstance(exc.rpc_response, dict) else None
        message = ""
        data: Any = None
        if isinstance(error, dict):
            message = str(error.get("message") or "")
            data = error.get("data")
            code = error.get("code")
        else:
            message = str(exc.message or exc)
            code = None
        if code == 3 or "revert" in message.lower():
            return decode_revert_data(data) or _strip_prefix(message) or "execution reverted"
    return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, Web3RPCError):
        error = exc.rpc_response.get("error") if isinstance(exc.rpc_response, dict) else None
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        return str(exc.message or exc)
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "request timed out"
    if isinstance(exc, httpx.TransportError):
        return f"node unreachable: {type(exc).__name__}: {exc}" if str(exc) else f"node unreachable: {type(exc).__name__}"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"node answered HTTP {exc.response.status_code}"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def to_chain_error(exc: BaseException, tx_hash: str | None = None) -> ChainError:
    """Normalise any exception from a web3 call into TxReverted / TxFailed."""
    if isinstance(exc, ChainError):
        return exc
    reason = revert_reason(exc)
    if reason is not None:
        return TxReverted(reason, tx_hash)
    return TxFailed(_describe(exc), tx_hash)


def _hash_hex(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    text = str(value)
    return text if text.startswith("0x") else "0x" + text


# ---------------------------------------------------------------- Chain


class Chain:
    """One JSON-RPC endpoint. `Chain.connect()` reads the chain id once (TxFailed if unreachable);
    `Chain(url)` connects lazily (for a service that must start while the node is down)."""

    def __init__(self, rpc_url: str, request_timeout: float = 10, chain_id: int | None = None) -> None:
        self.rpc_url = rpc_url
        self.request_timeout = float(request_timeout)
        # A couple of quick retries for idempotent reads only; never for sends.
        provider = HttpxProvider(rpc_url, timeout=self.request_timeout, retries=2, backoff=0.1)
        self.w3: AsyncWeb3[Any] = AsyncWeb3(provider)
        self._chain_id = chain_id

    @classmethod
    async def connect(cls, rpc_url: str, request_timeout: float = 10) -> Chain:
        chain = cls(rpc_url, request_timeout)
        try:
            await chain.ensure_chain_id()
        except BaseException:
            await chain.close()
            raise
        return chain

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            raise RuntimeError("chain id not known yet: use `await Chain.connect(...)` or `await chain.ensure_chain_id()`")
        return self._chain_id

    async def ensure_chain_id(self) -> int:
        if self._chain_id is None:
            try:
                self._chain_id = int(await asyncio.wait_for(self.w3.eth.chain_id, self.request_timeout))
            except Exception as exc:  # noqa: BLE001
                raise TxFailed(f"cannot read chain id from {self.rpc_url}: {_describe(exc)}") from exc
        return self._chain_id

    async def is_connected(self) -> bool:
        """True when the node answers now. Never raises."""
        try:
            await asyncio.wait_for(self.w3.eth.block_number, self.request_timeout)
            if self._chain_id is None:
                await self.ensure_chain_id()
            return True
        except Exception:  # noqa: BLE001
            return False

    async def latest_block(self) -> Any:
        try:
            return await self.w3.eth.get_block("latest")
        except Exception as exc:  # noqa: BLE001
            raise to_chain_error(exc) from exc

    async def latest_timestamp(self) -> int:
        return int((await self.latest_block())["timestamp"])

    async def block_number(self) -> int:
        try:
            return int(await self.w3.eth.block_number)
        except Exception as exc:  # noqa: BLE001
            raise to_chain_error(exc) from exc

    async def call(self, to: str, data: bytes | str, block: int | str = "latest", sender: str | None = None) -> bytes:
        """eth_call; TxReverted / TxFailed on errors."""
        tx: dict[str, Any] = {"to": to_checksum_address(to), "data": HexBytes(data)}
        if sender:
            tx["from"] = to_checksum_address(sender)
        try:
            return bytes(await self.w3.eth.call(tx, block))  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001
            raise to_chain_error(exc) from exc

    async def receipt(self, tx_hash: str) -> Any | None:
        """The receipt of a transaction, or None while it is unknown or pending."""
        try:
            return await self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            return None
        except Exception as exc:  # noqa: BLE001
            raise to_chain_error(exc) from exc

    async def close(self) -> None:
        try:
            await self.w3.provider.disconnect()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass

    async def __aenter__(self) -> Chain:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


# ---------------------------------------------------------------- nonces


class _NonceManager:
    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.next_nonce: int | None = None


# event loop → (rpc_url, chain_id, address) → manager. An asyncio.Lock belongs to one loop, and a
# new loop (a restarted service, a new test) must start from the chain's own count anyway.
_NONCE_MANAGERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, int, str], _NonceManager]] = (
    weakref.WeakKeyDictionary()
)


def _nonce_manager(rpc_url: str, chain_id: int, address: str) -> _NonceManager:
    loop = asyncio.get_running_loop()
    per_loop = _NONCE_MANAGERS.setdefault(loop, {})
    key = (rpc_url, chain_id, address)
    manager = per_loop.get(key)
    if manager is None:
        manager = per_loop[key] = _NonceManager()
    return manager


# ---------------------------------------------------------------- TxSender


class TxSender:
    """Signs and sends transactions from one private key. Safe to use concurrently."""

    def __init__(
        self,
        chain: Chain,
        private_key: str,
        receipt_timeout: float = 60.0,
        poll_interval: float = 0.05,
    ) -> None:
        self.chain = chain
        self._account = Account.from_key(private_key)
        self.address: str = self._account.address
        self.receipt_timeout = receipt_timeout
        self.poll_interval = poll_interval

    def __repr__(self) -> str:  # never the key
        return f"TxSender(address={self.address}, rpc={self.chain.rpc_url})"

    async def _fees(self) -> tuple[int, int]:
        w3 = self.chain.w3
        block, priority = await asyncio.gather(w3.eth.get_block("latest"), self._priority_fee())
        base_fee = int(block.get("baseFeePerGas") or 0)
        return 2 * base_fee + priority, priority

    async def _priority_fee(self) -> int:
        try:
            return int(await self.chain.w3.eth._max_priority_fee())
        except (Web3RPCError, ValueError, TypeError):
            return DEFAULT_PRIORITY_FEE

    async def _estimate(self, tx: dict[str, Any]) -> int:
        estimate = int(await self.chain.w3.eth.estimate_gas(tx))  # type: ignore[arg-type]
        return estimate * GAS_MARGIN_NUM // GAS_MARGIN_DEN + GAS_MARGIN_ADD

    async def send(self, to: str | None, data: bytes | str, gas: int | None = None, value: int = 0) -> TxResult:
        """Send and wait for the receipt. TxReverted / TxFailed on failure; nothing else escapes."""
        try:
            chain_id = await self.chain.ensure_chain_id()
            payload = HexBytes(data)
            tx: dict[str, Any] = {"from": self.address, "value": int(value), "data": payload, "chainId": chain_id}
            if to is not None:
                tx["to"] = to_checksum_address(to)
            # Fees and gas do not depend on the nonce: get them before queueing for one.
            if gas is None:
                (max_fee, priority), gas_limit = await asyncio.gather(self._fees(), self._estimate(dict(tx)))
            else:
                (max_fee, priority), gas_limit = await self._fees(), int(gas)
        except Exception as exc:  # noqa: BLE001
            raise to_chain_error(exc) from exc

        tx.update(gas=gas_limit, maxFeePerGas=max_fee, maxPriorityFeePerGas=priority, type=2)
        tx.pop("from")
        manager = _nonce_manager(self.chain.rpc_url, chain_id, self.address)
        async with manager.lock:
            try:
                if manager.next_nonce is None:
                    manager.next_nonce = int(await self.chain.w3.eth.get_transaction_count(self.address, "pending"))
                tx["nonce"] = manager.next_nonce
                signed = self._account.sign_transaction(tx)
                tx_hash = _hash_hex(await self.chain.w3.eth.send_raw_transaction(signed.raw_transaction))
                manager.next_nonce += 1
            except BaseException as exc:
                manager.next_nonce = None  # resync from the chain on the next send
                if isinstance(exc, Exception):
                    raise to_chain_error(exc) from exc
                raise
        return await self._wait(tx_hash, tx, manager)

    async def _wait(self, tx_hash: str, tx: dict[str, Any], manager: _NonceManager) -> TxResult:
        try:
            receipt = await self.chain.w3.eth.wait_for_transaction_receipt(
                tx_hash, timeout=self.receipt_timeout, poll_latency=self.poll_interval  # type: ignore[arg-type]
            )
        except TimeExhausted as exc:
            manager.next_nonce = None
            raise TxFailed(f"no receipt within {self.receipt_timeout:g}s", tx_hash) from exc
        except Exception as exc:  # noqa: BLE001
            manager.next_nonce = None
            raise TxFailed(_describe(exc), tx_hash) from exc
        block_number = int(receipt["blockNumber"])
        if int(receipt["status"]) != 1:
            raise TxReverted(await self._replay_reason(tx, block_number), tx_hash)
        contract = receipt.get("contractAddress")
        return TxResult(
            tx_hash=tx_hash,
            block_number=block_number,
            gas_used=int(receipt["gasUsed"]),
            contract_address=to_checksum_address(contract) if contract else None,
        )

    async def _replay_reason(self, tx: dict[str, Any], block_number: int) -> str:
        """A mined status-0 receipt carries no reason: replay the call on the parent state."""
        call: dict[str, Any] = {"from": self.address, "data": tx["data"], "value": tx["value"], "gas": tx["gas"]}
        if "to" in tx:
            call["to"] = tx["to"]
        try:
            await self.chain.w3.eth.call(call, max(block_number - 1, 0))  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001
            reason = revert_reason(exc)
            if reason:
                return reason
        return "execution reverted"
