"""Request and response bodies of the price service (docs/http-api.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.types import DecimalString, Symbol

MAX_PRICE_QUERY = 30


class AssetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    symbol: Symbol
    name: str | None = Field(default=None, max_length=64)


class AssetOut(BaseModel):
    symbol: str
    name: str
    addedAt: int


class AssetList(BaseModel):
    assets: list[AssetOut]
    count: int
    max: int


class OnChainOut(BaseModel):
    price: DecimalString
    updatedAt: int
    txHash: str | None
    token: str | None = Field(None, description="the token address the feed keys this price by (nocom-v1's Aztec "
                                                "feed); null for the PriceOracle, keyed by the symbol")


class PriceOut(BaseModel):
    asset: str
    price: DecimalString | None = Field(description="the last agreed price (median of the sources that agree)")
    timestamp: int | None = Field(description="when the sources observed it")
    source: str | None = Field(description="the one source it came from, or 'consensus'")
    onChain: OnChainOut | None
    noPrice: dict[str, Any] | None = Field(None, description="why the last cycle agreed on no price, when it did not")


class PriceList(BaseModel):
    prices: list[PriceOut]
    timestamp: int


class PriceQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assets: list[Symbol] = Field(min_length=1, max_length=MAX_PRICE_QUERY)


class Health(BaseModel):
    status: Literal["healthy", "degraded", "unhealthy"]
    service: Literal["price-service"]
    trackedAssets: int
    lastFetchAt: int | None
    lastOnChainUpdateAt: int | None
    role: Literal["leader", "standby"]
    instanceId: str
    leaderId: str | None
    checks: dict[str, Any]
