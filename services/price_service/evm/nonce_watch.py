"""Seeing one nonce through: wait, replace, cancel, and tell which transaction was mined.

A `SentAtNonce` is everything sent at one nonce (the original, its replacements, a cancel); a `NonceWatch`
watches the account's mined count and acts:
- not mined after `replace_after`: replaced with fees bumped ≥ 12.5 % (`fees`) and,
  with a `rebuild` callback, the newest calldata; at the fee cap it is re-broadcast instead;
- the node no longer holds it: re-broadcast when it is next in line, never sent into a gap (a
  chain that went backwards); held behind a gap nobody will fill: cancelled in the pool;
- given up: cancelled by a 0-value self-transfer at its nonce, then whichever is mined is reported.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from eth_utils import to_checksum_address

from services.price_service.evm.errors import ChainError, TxCancelled, TxFailed, TxReverted
from services.price_service.evm.fees import Fees, replacement_fees
from services.price_service.evm.tx import Payload, Rebuild, Replacement, TxResult, cancel_payload

if TYPE_CHECKING:
    from services.price_service.evm.sender import TxSender

MAX_CLIMB = 64  # bumps tried at once when a node answers "underpriced" (1.125^64: any fee to any cap)


class Placement(Enum):
    PLACED = "placed"  # the node holds it (or already held it)
    NONCE_USED = "nonce_used"  # a transaction at this nonce was mined already
    PRICED_OUT = "priced_out"  # another transaction holds the nonce and outbidding it would cross the cap


class NonceUsedElsewhere(TxFailed):
    """The nonce was mined by a transaction this sender did not send (another process with the key)."""


class _Stranded(TxFailed):
    """The nonce is ahead of the chain (it went backwards): nothing may be sent into that gap."""


@dataclass
class SentAtNonce:
    nonce: int
    payload: Payload
    fees: Fees  # of the newest version the node accepted (or the floor a node asked us to beat)
    raw: bytes | None = None
    hashes: list[str] = field(default_factory=list)  # every version the node accepted, oldest first
    sent: dict[str, Payload] = field(default_factory=dict)
    replacements: int = 0

    def adopt(self, tx_hash: str) -> None:
        """A version sent by someone else (a previous process): known by hash only."""
        if tx_hash not in self.sent:
            self.hashes.append(tx_hash)
            self.sent[tx_hash] = Payload(None, b"", 0, 0)


class NonceWatch:
    def __init__(self, sender: TxSender, at_nonce: SentAtNonce, reason: str = "") -> None:
        self.sender = sender
        self.at_nonce = at_nonce
        self.reason = reason
        self._placed_at = time.monotonic()
        self._after_error = False
        self._cancelling = False  # given up: only a cancel may be placed or re-broadcast from now on

    # ------------------------------------------------------------ placing a version

    async def place(self, payload: Payload, fees: Fees) -> Placement:
        """Send `payload` at the nonce; a node answering "underpriced" is outbid up to the cap."""
        for _ in range(MAX_CLIMB):
            raw, tx_hash = self.sender.sign(payload, self.at_nonce.nonce, fees)
            answer = await self.sender.broadcast(raw)
            if answer == "nonce_used" and await self.sender.chain.receipt(tx_hash) is not None:
                answer = "known"  # this very version was mined (a send retried on another endpoint)
            if answer in ("placed", "known"):
                self._record(payload, fees, raw, tx_hash)
                return Placement.PLACED
            if answer == "nonce_used":
                return Placement.NONCE_USED
            bumped = replacement_fees(fees, fees, self.sender.max_fee_per_gas)
            if bumped is None:
                return Placement.PRICED_OUT
            fees = bumped
        return Placement.PRICED_OUT

    def _record(self, payload: Payload, fees: Fees, raw: bytes, tx_hash: str) -> None:
        at_nonce = self.at_nonce
        at_nonce.payload, at_nonce.fees, at_nonce.raw = payload, fees, raw
        if tx_hash not in at_nonce.sent:
            at_nonce.hashes.append(tx_hash)
            at_nonce.sent[tx_hash] = payload
        self._placed_at = time.monotonic()

    async def try_place(self, payload: Payload, fees: Fees) -> Placement | None:
        """`place` for a nonce already under way: a node error leaves what was sent as it is."""
        try:
            return await self.place(payload, fees)
        except ChainError:
            self._after_error = True
            return None

    # ------------------------------------------------------------ the life of one nonce

    async def see_through(self, rebuild: Rebuild | None) -> TxResult:
        manager = await self.sender.nonce_manager()
        try:
            result = await self.wait(time.monotonic() + self.sender.receipt_timeout, rebuild)
            if result is None:
                result = await self.give_up(f"not mined within {self.sender.receipt_timeout:g}s")
            return result
        except asyncio.CancelledError:
            manager.orphans.add(self.at_nonce.nonce)  # the caller left: the next send resolves this nonce first
            raise
        finally:
            manager.inflight.discard(self.at_nonce.nonce)

    async def wait(self, deadline: float, rebuild: Rebuild | None) -> TxResult | None:
        """Until one version is mined (its result) or the deadline (None), replacing on schedule."""
        every = self.sender.replace_after
        while True:
            result = await self._poll()
            if result is not None:
                return result
            now = time.monotonic()
            if now >= deadline:
                return None
            if every is not None and now >= self._placed_at + every:
                await self._replace(rebuild)
                self._placed_at = time.monotonic()  # replaced or not (at the cap), the next try is one period away
            await asyncio.sleep(min(self.sender.poll_interval, max(deadline - now, 0)))

    async def give_up(self, error: str) -> TxResult:
        """Cancel at the nonce and wait for the cancel or the original: never leave it able to land later."""
        self.sender.stats.gave_up += 1
        self.reason = error
        self._cancelling = True
        await self._place_cancel()
        result = await self.wait(time.monotonic() + self.sender.cancel_timeout, None)
        if result is not None:
            return result  # the original was mined after all (a mined cancel raises TxCancelled)
        (await self.sender.nonce_manager()).orphans.add(self.at_nonce.nonce)
        raise TxFailed(f"{error}; its cancel is not mined either, nonce {self.at_nonce.nonce} stays pending and is "
                       "resolved before the next send", self._original_hash())

    async def _place_cancel(self) -> None:
        try:
            base, tip = await self.sender.fee_inputs()
        except Exception:  # noqa: BLE001 - the node is down: bump from what we know
            base, tip = 0, 0
        fees = replacement_fees(self.at_nonce.fees, Fees(2 * base + tip, tip), self.sender.max_fee_per_gas)
        if fees is not None:
            await self.try_place(cancel_payload(self.sender.address), fees)

    # ------------------------------------------------------------ watching

    async def _poll(self) -> TxResult | None:
        try:
            mined = await self.sender.chain.nonce(self.sender.address, "latest")
        except ChainError:
            self._after_error = True
            return None
        if mined > self.at_nonce.nonce:
            return await self._which_mined()
        if self._after_error:  # re-read the chain after any error: it may have gone backwards
            self._after_error = False
            try:
                await self._check_pool()
            except _Stranded:
                raise
            except ChainError:
                self._after_error = True
        return None

    async def _which_mined(self) -> TxResult:
        for _ in range(20):  # a node may count the nonce a moment before it serves the receipt
            for tx_hash in reversed(self.at_nonce.hashes):
                try:
                    receipt = await self.sender.chain.receipt(tx_hash)
                except ChainError:
                    continue
                if receipt is not None:
                    return await self._result(tx_hash, receipt)
            await asyncio.sleep(max(self.sender.poll_interval, 0.05))
        raise NonceUsedElsewhere(f"nonce {self.at_nonce.nonce} was used by a transaction this sender did not send",
                                 self._original_hash())

    async def _result(self, tx_hash: str, receipt: Any) -> TxResult:
        block = int(receipt["blockNumber"])
        payload = self.at_nonce.sent[tx_hash]
        if payload.cancel:
            self.sender.stats.cancelled += 1
            raise TxCancelled(self.reason or "given up", self._original_hash(), self.at_nonce.nonce, tx_hash, block)
        if int(receipt["status"]) != 1:
            raise TxReverted(await self.sender.replay_reason(payload, block), tx_hash)
        contract = receipt.get("contractAddress")
        return TxResult(tx_hash=tx_hash, block_number=block, gas_used=int(receipt["gasUsed"]),
                        contract_address=to_checksum_address(contract) if contract else None, nonce=self.at_nonce.nonce,
                        replacements=self.at_nonce.replacements, logs=tuple(receipt.get("logs") or ()))

    def _original_hash(self) -> str | None:
        return next((h for h in self.at_nonce.hashes if not self.at_nonce.sent[h].cancel), None)

    # ------------------------------------------------------------ acting

    async def _replace(self, rebuild: Rebuild | None) -> None:
        try:
            await self._check_pool()
            base, tip = await self.sender.fee_inputs()
            fees = replacement_fees(self.at_nonce.fees, Fees(2 * base + tip, tip), self.sender.max_fee_per_gas)
            placed = await self.place(await self._rebuilt(rebuild), fees) if fees is not None else Placement.PRICED_OUT
        except _Stranded:
            raise
        except ChainError:
            self._after_error = True
            return
        if placed is Placement.PLACED:
            at_nonce = self.at_nonce
            at_nonce.replacements += 1
            self.sender.stats.replaced += 1
            self.sender.replaced(Replacement(at_nonce.nonce, at_nonce.hashes[-1],
                                             at_nonce.hashes[-2] if len(at_nonce.hashes) > 1 else None,
                                             at_nonce.fees.max_fee, at_nonce.fees.priority))
        elif placed is Placement.PRICED_OUT:
            await self._rebroadcast()  # at the cap: keep it in front of the node, wait

    async def _rebuilt(self, rebuild: Rebuild | None) -> Payload:
        payload = self.at_nonce.payload
        if self._cancelling:
            return cancel_payload(self.sender.address)
        if rebuild is None or payload.cancel:
            return payload
        try:
            data = await rebuild()
        except Exception:  # noqa: BLE001 - the caller's callback failed: replace with what is pending
            self.sender.stats.rebuild_failures += 1
            return payload
        if not data or bytes(data) == payload.data:
            return payload
        if payload.fixed_gas:
            return dataclasses.replace(payload, data=bytes(data))
        try:
            gas = await self.sender.estimate(payload.to, bytes(data), payload.value)
        except ChainError:  # the newer calldata would revert now: keep the pending one
            self.sender.stats.rebuild_failures += 1
            return payload
        return dataclasses.replace(payload, data=bytes(data), gas=max(gas, payload.gas))

    async def _rebroadcast(self) -> None:
        if self.at_nonce.raw is None or (self._cancelling and not self.at_nonce.payload.cancel):
            return  # a given-up original is never sent again, only its cancel
        try:
            await self.sender.broadcast(self.at_nonce.raw)
            self.sender.stats.rebroadcast += 1
        except ChainError:
            self._after_error = True

    async def _check_pool(self) -> None:
        """Is what was sent still where it can be mined next? Re-broadcast, cancel in the pool, or stop."""
        chain, nonce = self.sender.chain, self.at_nonce.nonce
        pending = await chain.nonce(self.sender.address, "pending")
        if pending > nonce:
            return
        known = await self._node_knows()
        if pending == nonce:
            if not known:
                await self._rebroadcast()  # dropped from the pool, but next in line: safe to send again
            return
        manager = await self.sender.nonce_manager()
        if set(range(pending, nonce)) <= manager.inflight:
            return  # the gap is our own earlier sends, which see themselves through
        manager.forget()
        fate = "gone"
        if known:  # it would land whenever someone fills the gap: swap it for a cancel first
            await self._place_cancel()
            fate = "swapped for a cancel in the pool"
        raise _Stranded(f"nonce {nonce} is ahead of the chain's pending count {pending}: the chain went backwards "
                        f"(restart or reorg); the transaction is {fate}, nothing is sent into that gap",
                        self._original_hash())

    async def _node_knows(self) -> bool:
        for tx_hash in reversed(self.at_nonce.hashes[-3:]):
            try:
                if await self.sender.chain.w3.eth.get_transaction(tx_hash):  # type: ignore[arg-type]
                    return True
            except Exception:  # noqa: BLE001 - TransactionNotFound or a node error: not known here
                continue
        return False
