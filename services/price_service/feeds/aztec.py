"""nocom-v1's feed: the MockPriceFeed contract on Aztec, written through the PXE (docs/money-math.md, nocom-v1).

Prices are keyed by the token's Aztec address (ASSET_TOKENS), have 4 decimals, and go in `set_prices`
calls from the feed admin's account, packed into as few transactions as the entrypoint allows
(aztec_txs.py). Transactions go through the send gateways (PXE_SEND_URL), one after another in turn;
reads and the token check through the read gateways (PXE_READ_URL), so a read never queues behind a
proof. The feed keeps no time: this service records when it set each price (the `feed_updates`
table) and that record is the price's `updatedAt` for the heartbeat, the read-back at start and the
engine's staleness guard (through GET /prices and the notifications). A feed price that differs from
the record (set by someone else, or a lost record) has no known time: it is due.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from services.price_service.feeds import (
    FeedMisconfigured,
    FeedPrice,
    FeedUnavailable,
    LatestPrices,
    Pushed,
    PushOutcome,
    round_to_decimals,
)
from services.price_service.feeds.aztec_txs import PriceTx, max_calls_per_tx, pack, send_and_wait
from shared.feeds.aztec import AztecFeedReader
from shared.feeds.onchain_price import OnChainPrice, PricesUnavailable
from shared.logging import get_logger
from shared.pxe.errors import PxeError
from shared.pxe.gateways import PxeGateways

log = get_logger()

# (symbol, price, updated_at, tx_hash): what the service last wrote to the feed.
Record = tuple[str, int, int, str | None]


@dataclass(frozen=True)
class AztecFeedConfig:
    address: str
    admin_secret_key: str
    tokens: dict[str, str]  # symbol -> token address
    decimals: int
    max_assets_per_call: int
    receipt_timeout: float = 600.0
    max_calls_per_tx: int | None = None  # None: what the send gateways report (pxe_getTxLimits)


class AztecPriceFeed:

    def __init__(self, send: PxeGateways, config: AztecFeedConfig, records: Callable[[], Awaitable[list[Record]]],
                 record: Callable[[list[Record]], Awaitable[None]], read: PxeGateways | None = None) -> None:
        self.send = send
        self.read_gateways = read or send
        self.config = config
        self.decimals = config.decimals
        self._load_records, self._save_records = records, record
        self._records: dict[str, Record] = {}
        self.admin: str | None = None
        self.calls_per_tx = config.max_calls_per_tx or 1

    @property
    def address(self) -> str:
        return self.config.address

    def token_of(self, symbol: str) -> str | None:
        """The token address the feed keys this symbol's price by (ASSET_TOKENS)."""
        return self.config.tokens.get(symbol)

    def to_feed_units(self, price_8_decimals: int) -> int:
        return round_to_decimals(price_8_decimals, self.decimals)

    async def prepare(self) -> None:
        """Register the admin account with every send gateway, learn how many calls a transaction carries,
        and check every ASSET_TOKENS entry names its symbol's token."""
        try:
            admins = set(await self.send.each(lambda pxe: pxe.register_account(self.config.admin_secret_key)))
            if len(admins) != 1:
                raise FeedMisconfigured("PXE_SEND_URL: the gateways derive different accounts from the feed admin's key")
            self.admin = admins.pop()
            self.calls_per_tx = self.config.max_calls_per_tx or min(await self.send.each(max_calls_per_tx))
            self._records = {r[0]: r for r in await self._load_records()}
            await self._check_tokens()
        except PxeError as exc:
            raise FeedUnavailable(f"PXE unavailable: {exc}") from None
        log.info("Price feed admin registered", address=self.admin, feed=self.address, gateways=len(self.send),
                 callsPerTx=self.calls_per_tx)

    async def _check_tokens(self) -> None:
        symbols = list(self.config.tokens)
        pxe = self.read_gateways.next()
        answers = await asyncio.gather(*(pxe.token_symbol(self.config.tokens[s]) for s in symbols), return_exceptions=True)
        for symbol, answer in zip(symbols, answers, strict=True):
            if isinstance(answer, PxeError):
                raise FeedMisconfigured(f"ASSET_TOKENS: {symbol}'s token answered neither symbol() nor "
                                        f"public_get_symbol(): {answer}")
            if isinstance(answer, BaseException):
                raise answer
            if answer.upper() != symbol:
                raise FeedMisconfigured(f"ASSET_TOKENS: the token given for {symbol} is {answer}'s")

    async def read(self, symbols: list[str]) -> dict[str, OnChainPrice]:
        tokens = {s: self.config.tokens[s] for s in symbols if s in self.config.tokens}
        try:
            prices = await AztecFeedReader(self.read_gateways.next(), self.address).prices(tokens)
        except PricesUnavailable as exc:
            raise FeedUnavailable(str(exc)) from None
        out: dict[str, OnChainPrice] = {}
        for symbol, price in prices.items():
            record = self._records.get(symbol)
            known = record is not None and record[1] == price
            out[symbol] = OnChainPrice(price, record[2] if known and record else 0, record[3] if known and record else None)
        return out

    async def push(self, prices: dict[str, FeedPrice], latest: LatestPrices) -> PushOutcome:
        """The due assets in set_prices calls packed into transactions, sent together, then their receipts."""
        outcome = PushOutcome()
        missing = [s for s in prices if s not in self.config.tokens]
        outcome.failed.update({s: "no token address in ASSET_TOKENS" for s in missing})
        ready = sorted(s for s in prices if s not in missing)
        txs = pack(self.address, [(s, self.config.tokens[s], prices[s].price) for s in ready],
                   self.config.max_assets_per_call, self.calls_per_tx)
        results = await asyncio.gather(*(self._push_tx(tx, prices) for tx in txs))
        for tx, result in zip(txs, results, strict=True):
            if isinstance(result, Pushed):
                outcome.pushed.append(result)
            else:
                outcome.failed.update({s: result for s in tx.symbols})
        return outcome

    async def _push_tx(self, tx: PriceTx, prices: dict[str, FeedPrice]) -> Pushed | str:
        if self.admin is None:
            return "the feed admin account is not registered yet"
        sent = await send_and_wait(self.send.next(), tx, self.admin, self.config.receipt_timeout)
        if isinstance(sent, str):
            return sent
        tx_hash, receipt = sent
        records: list[Record] = [(s, prices[s].price, prices[s].observed_at, tx_hash) for s in tx.symbols]
        await self._save_records(records)
        self._records.update({r[0]: r for r in records})
        return Pushed(tx_hash, receipt.block_number, None, {s: prices[s] for s in tx.symbols})

    async def reachable(self) -> bool:
        answers = await asyncio.gather(*(pxe.status() for pxe in {*self.send.clients, *self.read_gateways.clients}))
        return all(answers)

    async def close(self) -> None:
        await self.send.close()
        if self.read_gateways is not self.send:
            await self.read_gateways.close()
