"""Local-key transaction sending that cannot get stuck (EIP-1559, eth-account).

`TxSender.send` prices the transaction under the fee cap, takes a nonce from the one manager of
this account on this chain (`nonces`), and sees it through (`nonce_watch`): not
mined within `replace_after` seconds, it is replaced at the same nonce with fees bumped ≥ 12.5 %
and, when the caller passes `rebuild`, newer calldata; not mined within `receipt_timeout`, it is
cancelled at its nonce so that it can never land later. `resolve_pending` does the same at start
for whatever the account left pending. Outcomes are counted in `stats` for metrics.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from eth_account import Account
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3.exceptions import Web3RPCError

from services.price_service.evm.errors import TxCancelled, TxFailed, TxReverted, node_message, revert_reason, to_chain_error
from services.price_service.evm.fees import GWEI, Fees, gwei, initial_fees, market_fees, replacement_fees
from services.price_service.evm.nonce_watch import NonceUsedElsewhere, NonceWatch, Placement, SentAtNonce
from services.price_service.evm.nonces import NonceManager, nonce_manager
from services.price_service.evm.tx import Payload, Rebuild, Replacement, SenderStats, TxResult, cancel_payload

if TYPE_CHECKING:
    from services.price_service.evm.chain import Chain

__all__ = ["Rebuild", "Resolution", "SenderStats", "TxResult", "TxSender"]

DEFAULT_PRIORITY_FEE = 1 * GWEI
DEFAULT_MAX_FEE = 500 * GWEI  # MAX_FEE_PER_GAS_GWEI's default
GAS_MARGIN_NUM, GAS_MARGIN_DEN, GAS_MARGIN_ADD = 6, 5, 10_000  # estimate × 1.2 + 10 000
Broadcast = Literal["placed", "known", "underpriced", "nonce_used"]
_KNOWN = ("already known", "already imported", "known transaction", "already exists")
_NONCE_USED = ("nonce too low", "nonce is too low", "oldnonce")
_UNDERPRICED = ("underpriced", "fee too low", "less than block base fee")


@dataclass(frozen=True)
class Resolution:
    """What became of a nonce found pending: its cancel was mined, the pending tx was, or neither yet."""

    nonce: int
    # cancelled: its cancel was mined; mined: the pending one was; superseded: it sat behind a gap and
    # a cancel took its place in the pool; pending: none of these yet (it is retried before the next send)
    outcome: Literal["cancelled", "mined", "superseded", "pending"]
    tx_hash: str | None  # the mined cancel or transaction; None when the winner is not known by hash
    block_number: int | None = None


def _hash_hex(value: Any) -> str:
    text = value.hex() if isinstance(value, (bytes, bytearray)) else str(value)
    return text if text.startswith("0x") else "0x" + text


class TxSender:
    """Signs and sends transactions from one private key. Safe to use concurrently."""

    def __init__(self, chain: Chain, private_key: str, receipt_timeout: float = 60.0, poll_interval: float = 0.05, *,
                 replace_after: float | None = 30.0, max_fee_per_gas: int = DEFAULT_MAX_FEE,
                 cancel_timeout: float | None = None) -> None:
        self.chain = chain
        self._account = Account.from_key(private_key)
        self.address: str = self._account.address
        self.receipt_timeout = receipt_timeout  # the caller gives up after this: the tx is cancelled
        self.poll_interval = poll_interval
        self.replace_after = replace_after  # None: never replaced (only cancelled on giving up)
        self.max_fee_per_gas = max_fee_per_gas  # wei; nothing is ever priced above it
        self.cancel_timeout = receipt_timeout if cancel_timeout is None else cancel_timeout
        self.stats = SenderStats()
        # Told of each replacement as it is placed (the service counts and logs it then, not when mined).
        self.on_replaced: Callable[[Replacement], None] | None = None

    def __repr__(self) -> str:  # never the key
        return f"TxSender(address={self.address}, rpc={self.chain.current_endpoint})"

    def replaced(self, replacement: Replacement) -> None:
        if self.on_replaced is not None:
            self.on_replaced(replacement)

    async def nonce_manager(self) -> NonceManager:
        return nonce_manager(await self.chain.ensure_chain_id(), self.address)

    async def send(self, to: str | None, data: bytes | str, gas: int | None = None, value: int = 0,
                   rebuild: Rebuild | None = None) -> TxResult:
        """Send and see it through. `rebuild()` gives the calldata for a replacement (None: keep it).

        Returns whichever of the original and its replacements was mined. TxReverted when it
        reverted; TxCancelled when it was given up and its cancel was mined; TxFailed otherwise.
        """
        manager = await self.nonce_manager()
        if manager.orphans:  # a send given up earlier without a mined outcome: never let it block this one
            await self.resolve_pending()
        payload, fees = await self._prepare(to, data, gas, value)
        watch = await self._launch(manager, payload, fees)
        return await watch.see_through(rebuild)

    async def _prepare(self, to: str | None, data: bytes | str, gas: int | None, value: int) -> tuple[Payload, Fees]:
        try:
            raw = bytes(HexBytes(data))
            target = to_checksum_address(to) if to is not None else None
            if gas is None:
                (base, tip), limit = await asyncio.gather(self.fee_inputs(), self.estimate(target, raw, value))
            else:
                (base, tip), limit = await self.fee_inputs(), int(gas)
        except Exception as exc:  # noqa: BLE001
            raise to_chain_error(exc) from exc
        fees = initial_fees(base, tip, self.max_fee_per_gas)
        return Payload(target, raw, int(value), limit, fixed_gas=gas is not None), fees

    async def _launch(self, manager: NonceManager, payload: Payload, fees: Fees) -> NonceWatch:
        """Place the transaction at the next nonce (under the manager's lock; nothing else waits there)."""
        async with manager.lock:
            for _ in range(3):
                watch: NonceWatch | None = None
                try:
                    nonce = manager.take(await self.chain.nonce(self.address, "pending"))
                    watch = NonceWatch(self, SentAtNonce(nonce, payload, fees))
                    placed = await watch.place(payload, fees)
                except BaseException:
                    manager.forget()
                    if watch is not None:  # the node may have it though it did not say so: resolve it first next time
                        manager.orphans.add(watch.at_nonce.nonce)
                    raise
                if placed is Placement.PLACED:
                    manager.sent(nonce)
                    self.stats.sent += 1
                    return watch
                manager.forget()
                if placed is Placement.PRICED_OUT:
                    raise TxFailed(f"nonce {nonce} is held by a pending transaction paying more than the fee cap "
                                   f"of {gwei(self.max_fee_per_gas)} gwei")
        raise TxFailed("the account's nonce kept being used by other transactions")

    # ------------------------------------------------------------ start-up resolution

    async def resolve_pending(self) -> list[Resolution]:
        """Resolve every pending transaction of the account that no send of this process is seeing through.

        Each is cancelled at its nonce (fees bumped over it) and waited for: whichever of the
        cancel and the pending one is mined is reported. Call at start, before the first send.
        """
        manager = await self.nonce_manager()
        async with manager.lock:  # a send placing a nonce right now is either done (in at_nonce) or not begun
            latest = await self.chain.nonce(self.address, "latest")
            pending = await self.chain.nonce(self.address, "pending")
            nonces = [n for n in range(latest, pending) if n not in manager.inflight]
        known = await self._pool_txs()
        gapped = sorted(n for n in known if n >= pending and n not in manager.inflight)
        results = [await self._resolve(n, known.get(n)) for n in nonces]
        results += [await self._supersede(n, known[n]) for n in gapped]
        manager.orphans = {r.nonce for r in results if r.outcome == "pending"}
        manager.forget()
        return results

    async def _resolve(self, nonce: int, known: tuple[str, Fees] | None) -> Resolution:
        base, tip = await self.fee_inputs()
        start = market_fees(base, tip)
        at_nonce = SentAtNonce(nonce, cancel_payload(self.address), start)
        if known is not None:
            at_nonce.adopt(known[0])
            start = replacement_fees(known[1], start, self.max_fee_per_gas) or known[1]
        watch = NonceWatch(self, at_nonce, reason="pending at start")
        await watch.try_place(cancel_payload(self.address), start)
        try:
            result = await watch.wait(time.monotonic() + self.cancel_timeout, None)
        except TxCancelled as cancelled:
            return Resolution(nonce, "cancelled", cancelled.cancel_hash, cancelled.block_number)
        except (NonceUsedElsewhere, TxReverted) as other:
            return Resolution(nonce, "mined", other.tx_hash if isinstance(other, TxReverted) else None)
        if result is None:
            return Resolution(nonce, "pending", at_nonce.hashes[-1] if at_nonce.hashes else None)
        return Resolution(nonce, "mined", result.tx_hash, result.block_number)

    async def _supersede(self, nonce: int, known: tuple[str, Fees]) -> Resolution:
        """A transaction queued behind a gap would land whenever the gap fills: swap it for a cancel now."""
        base, tip = await self.fee_inputs()
        fees = replacement_fees(known[1], market_fees(base, tip), self.max_fee_per_gas) or known[1]
        at_nonce = SentAtNonce(nonce, cancel_payload(self.address), fees)
        at_nonce.adopt(known[0])
        placed = await NonceWatch(self, at_nonce).try_place(cancel_payload(self.address), fees)
        if placed is Placement.PLACED:
            return Resolution(nonce, "superseded", at_nonce.hashes[-1])
        return Resolution(nonce, "pending", known[0])

    async def _pool_txs(self) -> dict[int, tuple[str, Fees]]:
        """nonce → (hash, fees) of this account's pool transactions (pending and queued behind a gap).

        geth's txpool_contentFrom when served (txpool_content is the whole pool: megabytes on a busy
        node), else txpool_content (anvil, the py-evm chain); {} where neither is (most public nodes):
        cancels then climb from the market fee until the node takes them.
        """
        for method, params in (("txpool_contentFrom", [self.address]), ("txpool_content", [])):
            try:
                answer = await self.chain.w3.provider.make_request(method, params)
            except Exception:  # noqa: BLE001 - a node error: try the next way, or do without
                continue
            result = answer.get("result")
            if isinstance(result, dict):
                return self._own_pool_entries(result, whole_pool=method == "txpool_content")
        return {}

    def _own_pool_entries(self, result: dict[str, Any], whole_pool: bool) -> dict[int, tuple[str, Fees]]:
        found: dict[int, tuple[str, Fees]] = {}
        for section in ("pending", "queued"):
            by_sender = result.get(section) or {}
            if whole_pool:
                by_sender = next((v for k, v in by_sender.items() if k.lower() == self.address.lower()), {})
            found.update({int(n): _pool_entry(tx) for n, tx in by_sender.items()})
        return found

    # ------------------------------------------------------------ node access used by the watch

    async def fee_inputs(self) -> tuple[int, int]:
        """(base fee of the latest block, priority fee the node suggests), wei."""
        block, priority = await asyncio.gather(self.chain.w3.eth.get_block("latest"), self._priority_fee())
        return int(block.get("baseFeePerGas") or 0), priority

    async def _priority_fee(self) -> int:
        try:
            return int(await self.chain.w3.eth._max_priority_fee())
        except (Web3RPCError, ValueError, TypeError):
            return DEFAULT_PRIORITY_FEE

    async def estimate(self, to: str | None, data: bytes, value: int) -> int:
        tx: dict[str, Any] = {"from": self.address, "value": value, "data": data}
        if to is not None:
            tx["to"] = to
        try:
            # Against the block the transaction will land in: a chain that mines on demand keeps its
            # last block's time while idle, and a time-checked call would fail there but not in the next.
            estimate = int(await self.chain.w3.eth.estimate_gas(tx, "pending"))  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001
            raise to_chain_error(exc) from exc
        return estimate * GAS_MARGIN_NUM // GAS_MARGIN_DEN + GAS_MARGIN_ADD

    def sign(self, payload: Payload, nonce: int, fees: Fees) -> tuple[bytes, str]:
        tx: dict[str, Any] = {"chainId": self.chain.chain_id, "nonce": nonce, "value": payload.value, "data": payload.data,
                              "gas": payload.gas, "maxFeePerGas": fees.max_fee, "maxPriorityFeePerGas": fees.priority,
                              "type": 2}
        if payload.to is not None:
            tx["to"] = payload.to
        signed = self._account.sign_transaction(tx)
        return bytes(signed.raw_transaction), _hash_hex(signed.hash)

    async def broadcast(self, raw: bytes) -> Broadcast:
        """eth_sendRawTransaction, with the answers that are outcomes rather than errors told apart."""
        try:
            await self.chain.w3.eth.send_raw_transaction(raw)
            return "placed"
        except Exception as exc:  # noqa: BLE001
            message = node_message(exc)
            if any(k in message for k in _KNOWN):
                return "known"
            if any(k in message for k in _NONCE_USED):
                return "nonce_used"
            if any(k in message for k in _UNDERPRICED):
                return "underpriced"
            raise to_chain_error(exc) from exc

    async def replay_reason(self, payload: Payload, block_number: int) -> str:
        """A mined status-0 receipt carries no reason: replay the call on the parent state."""
        call: dict[str, Any] = {"from": self.address, "data": payload.data, "value": payload.value, "gas": payload.gas}
        if payload.to is not None:
            call["to"] = payload.to
        try:
            await self.chain.w3.eth.call(call, max(block_number - 1, 0))  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001
            reason = revert_reason(exc)
            if reason:
                return reason
        return "execution reverted"


def _pool_entry(tx: dict[str, Any]) -> tuple[str, Fees]:
    legacy = str(tx.get("gasPrice") or "0x0")
    max_fee = int(tx.get("maxFeePerGas") or legacy, 16)
    return str(tx["hash"]), Fees(max_fee=max_fee, priority=int(tx.get("maxPriorityFeePerGas") or legacy, 16))
