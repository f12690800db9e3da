"""The reference protocol's feed: the PriceOracle contract on an EVM chain (docs/money-math.md, the reference feed).

Writes are one `setPrices` per push, replaced at the same nonce with the newest prices when not mined
within TX_REPLACE_AFTER, cancelled at its nonce when given up; at start, the updater's pending
transactions are resolved so none can land later. Reads and writes fail over together across RPC_URL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from services.price_service.evm.chain import Chain
from services.price_service.evm.errors import ChainError, TxCancelled, TxFailed, TxReverted
from services.price_service.evm.oracle import PriceOracle, deploy_oracle
from services.price_service.evm.sender import TxSender
from services.price_service.evm.tx import Replacement
from services.price_service.feeds import FeedMisconfigured, FeedPrice, FeedUnavailable, LatestPrices, Pushed, PushOutcome
from shared.evm.endpoints import NodeUnreachable, mask_url, split_urls
from shared.feeds.evm_oracle import OracleReader
from shared.feeds.onchain_price import OnChainPrice, PricesUnavailable
from shared.logging import get_logger

log = get_logger()

GWEI = 10**9
NOT_NEWER = "not newer than the on-chain observation: the oracle kept its price"


@dataclass(frozen=True)
class EvmFeedConfig:
    rpc_url: str  # comma-separated: failover order
    address: str
    updater_key: str
    replace_after: float
    max_fee_gwei: int
    max_lag_blocks: int = 5
    development: bool = False  # may deploy a PriceOracle when there is none
    chain_id: int | None = None  # CHAIN_ID: the chain every endpoint must be on (None: the first that answers)


class EvmOracleFeed:
    decimals = 8

    def __init__(self, config: EvmFeedConfig, remembered: Callable[[], Awaitable[str | None]],
                 remember: Callable[[str], Awaitable[None]], on_replaced: Callable[[], None] | None = None) -> None:
        self.config = config
        self._address = config.address
        self._remembered, self._remember = remembered, remember
        self._on_replaced = on_replaced  # the service's counter, moved as each replacement is placed
        self._chain: Chain | None = None
        self._sender: TxSender | None = None
        self._reader: OracleReader | None = None
        self._pushing: list[str] = []

    @property
    def address(self) -> str:
        return self._address

    @property
    def endpoint(self) -> str:
        """The RPC endpoint in use (masked; before the first call, the preferred one), for messages."""
        return self._chain.current_endpoint if self._chain else mask_url(split_urls(self.config.rpc_url)[0])

    @property
    def endpoint_in_use(self) -> str | None:
        """The RPC endpoint that served the last call, masked, for /health; None before any did."""
        return self._chain.endpoints.in_use if self._chain else None

    def token_of(self, symbol: str) -> str | None:
        return None  # the PriceOracle is keyed by the symbol itself

    def to_feed_units(self, price_8_decimals: int) -> int:
        return price_8_decimals

    async def _connect(self) -> Chain:
        if self._chain is None:
            try:
                self._chain = await Chain.connect(self.config.rpc_url, max_lag_blocks=self.config.max_lag_blocks,
                                                  chain_id=self.config.chain_id)
            except Exception as exc:  # noqa: BLE001 - whatever the node did, it is unreachable to us
                raise FeedUnavailable(f"chain unreachable at {self.endpoint}: {_reason(exc)}") from None
            self._sender = TxSender(self._chain, self.config.updater_key, receipt_timeout=max(60.0, 4 * self.config.replace_after),
                                    replace_after=self.config.replace_after, max_fee_per_gas=self.config.max_fee_gwei * GWEI)
            self._sender.on_replaced = self._replaced
        return self._chain

    def _replaced(self, replacement: Replacement) -> None:
        log.warning("Price update replaced", assets=self._pushing, nonce=replacement.nonce, txHash=replacement.tx_hash,
                    replacedTxHash=replacement.replaced_hash, maxFeePerGasGwei=str(Decimal(replacement.max_fee_per_gas) / GWEI),
                    priorityFeeGwei=str(Decimal(replacement.priority_fee_per_gas) / GWEI))
        if self._on_replaced is not None:
            self._on_replaced()

    async def prepare(self) -> None:
        """Find (or, in development, deploy) the oracle, then resolve the updater's pending transactions."""
        chain = await self._connect()
        self._address = self._address or await self._remembered() or ""
        if self._address and not await self._has_code():
            if not self.config.development:
                raise FeedMisconfigured(f"no PriceOracle code at {self._address}")
            self._address = ""
        if not self._address:
            assert self._sender is not None
            self._address = await deploy_oracle(chain, self._sender, self._sender.address)
            await self._remember(self._address)
            log.info("PriceOracle deployed", address=self._address)
        self._reader = OracleReader(chain.endpoints, self._address)
        await self._resolve_pending()

    async def _resolve_pending(self) -> None:
        assert self._sender is not None
        try:
            resolutions = await self._sender.resolve_pending()
        except ChainError as exc:
            raise FeedUnavailable(f"pending transactions unresolved: {exc}") from None
        for r in resolutions:
            log.warning("Pending transaction resolved", nonce=r.nonce, outcome=r.outcome, txHash=r.tx_hash,
                        blockNumber=r.block_number)

    async def _has_code(self) -> bool:
        chain = await self._connect()
        try:
            return bool(await chain.w3.eth.get_code(self._address))  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001
            raise FeedUnavailable(f"chain unreachable at {self.endpoint}: {_reason(exc)}") from None

    async def read(self, symbols: list[str]) -> dict[str, OnChainPrice]:
        if self._reader is None:
            raise FeedUnavailable("the PriceOracle is not known yet")
        try:
            return await self._reader.read(list(dict.fromkeys(symbols)))
        except PricesUnavailable as exc:
            raise FeedUnavailable(f"oracle read failed: {exc}") from None

    async def tx_hashes(self, symbols: list[str]) -> dict[str, str]:
        oracle = PriceOracle(await self._connect(), self._address)
        return await oracle.last_update_tx_hashes(symbols)

    async def push(self, prices: dict[str, FeedPrice], latest: LatestPrices) -> PushOutcome:
        """One setPrices; its replacements carry `latest()` (never an older price than the one replaced)."""
        oracle = PriceOracle(await self._connect(), self._address, self._sender)
        wanted = {s: (p.price, p.observed_at) for s, p in prices.items()}

        async def newest() -> dict[str, tuple[int, int]]:
            fresher = await latest()
            return {**wanted, **{s: (p.price, p.observed_at) for s, p in fresher.items()}}

        assert self._sender is not None
        before = (self._sender.stats.replaced, self._sender.stats.cancelled)
        outcome = PushOutcome()
        self._pushing = sorted(prices)
        try:
            result = await oracle.set_prices(wanted, refresh=newest)
        except (TxReverted, TxCancelled, ChainError) as exc:
            outcome.failed = {s: str(exc) for s in prices}
        else:
            written = {s: FeedPrice(price, observed) for s, (price, observed) in result.written.items()}
            outcome.pushed.append(Pushed(result.tx_hash, result.block_number, result.gas_used, written))
            outcome.failed = {s: NOT_NEWER for s in prices if s not in result.written}
        outcome.replaced = self._sender.stats.replaced - before[0]
        outcome.cancelled = self._sender.stats.cancelled - before[1]
        return outcome

    async def balance(self) -> int | None:
        """The updater's balance in wei; None when the chain cannot say."""
        try:
            chain = await self._connect()
            assert self._sender is not None
            return await chain.balance(self._sender.address)
        except Exception:  # noqa: BLE001 - a health figure, never a failure
            return None

    def endpoints(self) -> list[dict[str, object]]:
        return self._chain.endpoints.status() if self._chain else []

    def failovers(self) -> int:
        return self._chain.endpoints.failovers if self._chain else 0

    async def reachable(self) -> bool:
        try:
            chain = await self._connect()
        except FeedUnavailable:
            return False
        return await chain.is_connected()

    async def close(self) -> None:
        if self._chain is not None:
            await self._chain.close()


def _reason(exc: Exception) -> str:
    """Why the chain could not be reached: the endpoint pool's words (masked URLs, a wrong chain) or the type."""
    return str(exc)[:300] if isinstance(exc, (NodeUnreachable, TxFailed)) else type(exc).__name__
