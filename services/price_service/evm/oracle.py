"""The PriceOracle contract (docs/money-math.md, the reference feed): asset keys, reads, batched writes, deployment.

Prices are integers with 8 decimals. An asset key is the upper-case ASCII symbol right-padded
with zero bytes to 32. The compiled artifact committed in contracts/build/ is the one deployed.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

from services.price_service.evm.chain import Chain, TxResult, TxSender, to_chain_error
from services.price_service.evm.errors import TxFailed
from services.price_service.evm.tx import Rebuild
from shared.feeds.evm_oracle import OracleReader, asset_key, symbol_from_key
from shared.feeds.onchain_price import OnChainPrice, PricesUnavailable
from shared.units import PRICE_DECIMALS

__all__ = [
    "ARTIFACT_PATH",
    "PRICE_DECIMALS",
    "PRICE_UPDATED_TOPIC",
    "PriceOracle",
    "PricesRefresh",
    "SetPricesResult",
    "deploy_oracle",
    "load_artifact",
]

ARTIFACT_PATH = Path(__file__).resolve().parents[3] / "contracts" / "build" / "PriceOracle.json"

_SET_PRICES = function_signature_to_4byte_selector("setPrices(bytes32[],uint256[],uint64[])")
_UPDATER = function_signature_to_4byte_selector("updater()")
_OWNER = function_signature_to_4byte_selector("owner()")
_SET_UPDATER = function_signature_to_4byte_selector("setUpdater(address)")
PRICE_UPDATED_TOPIC = "0x" + keccak(text="PriceUpdated(bytes32,uint256,uint64)").hex()
UINT192_MAX = 2**192 - 1
UINT64_MAX = 2**64 - 1
MAX_FUTURE = 300  # the contract reverts for an observedAt further ahead of block.timestamp
LOG_BLOCK_RANGE = 50_000  # eth_getLogs window: public nodes cap ranges, dev chains do not care


# The newest prices for a replacement of a pending setPrices: symbol → (price, observedAt).
PricesRefresh = Callable[[], Awaitable[Mapping[str, tuple[int, int]]]]


@dataclass(frozen=True)
class SetPricesResult(TxResult):
    written: dict[str, tuple[int, int]] = field(default_factory=dict)  # what the mined version stored


def _hex(value: Any) -> str:
    return "0x" + _bytes(value).hex()


def _bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    return bytes(value)


@lru_cache(maxsize=1)
def _artifact_text() -> str:
    try:
        return ARTIFACT_PATH.read_text()
    except OSError as exc:
        raise FileNotFoundError(
            f"PriceOracle artifact missing at {ARTIFACT_PATH}; run `node scripts/build_contracts.mjs`"
        ) from exc


def load_artifact() -> dict[str, Any]:
    """The committed compiled artifact (a fresh copy each call: callers may mutate it)."""
    artifact: dict[str, Any] = json.loads(_artifact_text())
    return artifact


class PriceOracle:
    """Reads and (with a sender) writes one deployed PriceOracle."""

    def __init__(self, chain: Chain, address: str, sender: TxSender | None = None) -> None:
        self.chain = chain
        self.address = to_checksum_address(address)
        self.sender = sender

    def __repr__(self) -> str:
        return f"PriceOracle({self.address})"

    async def _call(self, data: bytes) -> bytes:
        out = await self.chain.call(self.address, data)
        if not out:
            raise TxFailed(f"no PriceOracle at {self.address} (empty call result)")
        return out

    async def get_price(self, symbol: str) -> OnChainPrice:
        return (await self.get_prices([symbol]))[symbol]

    async def get_prices(self, symbols: Iterable[str]) -> dict[str, OnChainPrice]:
        """Through the one batched reader (shared.feeds.evm_oracle); TxFailed when it cannot read."""
        reader = OracleReader(self.chain.endpoints, self.address, timeout=self.chain.request_timeout)
        try:
            return await reader.read(list(dict.fromkeys(symbols)))
        except PricesUnavailable as exc:
            raise TxFailed(str(exc)) from None
        finally:
            await reader.close()

    async def updater(self) -> str:
        return to_checksum_address(abi_decode(["address"], await self._call(_UPDATER))[0])

    async def owner(self) -> str:
        return to_checksum_address(abi_decode(["address"], await self._call(_OWNER))[0])

    @staticmethod
    def encode_set_prices(prices: Mapping[str, tuple[int, int]]) -> bytes:
        """Calldata of setPrices: symbol → (price with 8 decimals, observedAt in Unix seconds)."""
        keys, values, times = [], [], []
        for symbol, entry in prices.items():
            if not isinstance(entry, tuple) or len(entry) != 2:
                raise TypeError(f"{symbol} must map to (price, observedAt), not {entry!r}")
            price, observed_at = entry
            for name, value, top in (("price", price, UINT192_MAX), ("observedAt", observed_at, UINT64_MAX)):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError(f"{name} of {symbol} must be an int, not {value!r}")
                if value < 0 or value > top:
                    raise ValueError(f"{name} of {symbol} out of range: {value}")
            keys.append(asset_key(symbol))
            values.append(price)
            times.append(observed_at)
        return _SET_PRICES + abi_encode(["bytes32[]", "uint256[]", "uint64[]"], [keys, values, times])

    def _require_sender(self) -> TxSender:
        if self.sender is None:
            raise RuntimeError("this PriceOracle is read-only: pass a TxSender to write")
        return self.sender

    async def set_prices(self, prices: Mapping[str, tuple[int, int]], gas: int | None = None,
                         refresh: PricesRefresh | None = None) -> SetPricesResult:
        """One `setPrices` transaction for the whole batch: symbol → (price, observedAt).

        An entry not newer than the stored observation is skipped by the contract (see `written`).
        When the transaction waits longer than the sender's `replace_after`, it is replaced at the same
        nonce with bumped fees and, given `refresh`, the prices `refresh()` returns then (the newest),
        never the stale ones again. TxReverted / TxFailed (TxCancelled when given up) on failure.
        """
        data = self.encode_set_prices(prices)
        rebuild = None if refresh is None else self._rebuild_from(refresh)
        result = await self._require_sender().send(self.address, data, gas=gas, rebuild=rebuild)
        return SetPricesResult(**{f.name: getattr(result, f.name) for f in fields(result)},
                               written=self._written(result.logs))

    def _rebuild_from(self, refresh: PricesRefresh) -> Rebuild:
        async def rebuild() -> bytes | None:
            newest = await refresh()
            return self.encode_set_prices(newest) if newest else None

        return rebuild

    def _written(self, logs: Iterable[Any]) -> dict[str, tuple[int, int]]:
        written: dict[str, tuple[int, int]] = {}
        for entry in logs:
            topics = [_hex(t) for t in entry["topics"]]
            if to_checksum_address(entry["address"]) != self.address or not topics or topics[0] != PRICE_UPDATED_TOPIC:
                continue
            price, updated_at = abi_decode(["uint256", "uint64"], _bytes(entry["data"]))
            written[symbol_from_key(topics[1])] = (int(price), int(updated_at))
        return written

    async def set_updater(self, updater: str, gas: int | None = None) -> TxResult:
        data = _SET_UPDATER + abi_encode(["address"], [to_checksum_address(updater)])
        return await self._require_sender().send(self.address, data, gas=gas)

    async def code_exists(self) -> bool:
        try:
            code = await self.chain.w3.eth.get_code(self.address)
        except Exception as exc:  # noqa: BLE001
            raise to_chain_error(exc) from exc
        return len(code) > 0

    async def latest_updates(
        self, symbols: Iterable[str], from_block: int = 0, block_range: int = LOG_BLOCK_RANGE
    ) -> dict[str, OnChainPrice]:
        """The newest PriceUpdated event per symbol (price, updatedAt and txHash), from the logs.

        Scans backwards from the latest block in windows of `block_range` blocks and stops as
        soon as every symbol was found, so a long-lived chain costs few queries.
        """
        wanted = {"0x" + asset_key(s).hex(): s for s in dict.fromkeys(symbols)}
        found: dict[str, OnChainPrice] = {}
        if not wanted:
            return found
        w3 = self.chain.w3
        try:
            latest = int(await w3.eth.block_number)
            hi = latest
            while hi >= from_block and len(found) < len(wanted):
                lo = max(from_block, hi - block_range + 1)
                missing = [k for k, s in wanted.items() if s not in found]
                logs = await w3.eth.get_logs(
                    {
                        "address": self.address,
                        "fromBlock": lo,
                        "toBlock": hi,
                        "topics": [PRICE_UPDATED_TOPIC, missing],
                    }
                )
                for entry in sorted(logs, key=lambda e: (int(e["blockNumber"]), int(e["logIndex"])), reverse=True):
                    topic = "0x" + bytes(entry["topics"][1]).hex()
                    symbol = wanted.get(topic)
                    if symbol is None or symbol in found:
                        continue
                    price, updated_at = abi_decode(["uint256", "uint64"], bytes(entry["data"]))
                    found[symbol] = OnChainPrice(
                        price=int(price), updated_at=int(updated_at), tx_hash="0x" + bytes(entry["transactionHash"]).hex()
                    )
                hi = lo - 1
        except Exception as exc:  # noqa: BLE001
            raise to_chain_error(exc) from exc
        return found

    async def last_update_tx_hashes(self, symbols: Iterable[str], from_block: int = 0) -> dict[str, str]:
        """symbol → hash of the transaction that set its current on-chain price (symbols never set are absent)."""
        updates = await self.latest_updates(symbols, from_block=from_block)
        return {s: u.tx_hash for s, u in updates.items() if u.tx_hash}


def deploy_data(updater: str) -> bytes:
    artifact = load_artifact()
    bytecode = bytes.fromhex(artifact["bytecode"].removeprefix("0x"))
    return bytecode + abi_encode(["address"], [to_checksum_address(updater)])


async def deploy_oracle(chain: Chain, deployer: TxSender, updater: str) -> str:
    """Deploy the committed PriceOracle artifact; returns its checksum address."""
    result = await deployer.send(None, deploy_data(updater))
    if not result.contract_address:
        raise TxFailed("deployment receipt has no contract address", result.tx_hash)
    return result.contract_address
