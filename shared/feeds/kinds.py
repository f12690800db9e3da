"""The kinds of price feed a lending protocol reads, described by what they are rather than named.

A protocol module says which kind it reads (`PRICE_FEED`); services look up what they need by that
kind (the setting holding its address, whether it keeps the time of a price, which adapter writes
it), so no code compares a protocol's or a feed's name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeedKind:
    name: str  # for logs and documentation only
    address_setting: str  # the setting holding the feed's address
    address_digits: int  # hex digits of that address (exactly, or at most when `exact_digits` is False)
    exact_digits: bool
    keeps_time: bool  # whether the feed stores when each price was observed
    on_evm: bool  # read and written on an EVM chain (RPC_URL), rather than through the PXE


# The reference protocol's PriceOracle on an EVM chain (docs/money-math.md, reference).
EVM_ORACLE = FeedKind("evm-oracle", "oracle_address", 40, exact_digits=True, keeps_time=True, on_evm=True)
# nocom-v1's MockPriceFeed on Aztec, written and read through the PXE; it keeps no time.
AZTEC_FEED = FeedKind("aztec-feed", "price_feed_address", 64, exact_digits=False, keeps_time=False, on_evm=False)
