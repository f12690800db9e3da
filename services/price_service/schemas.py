"""Request and response bodies of the price service (SPEC section 3)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.symbols import normalize_symbol

MAX_PRICE_QUERY = 30


class AssetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    symbol: str = Field(max_length=32)
    name: str | None = Field(default=None, max_length=64)

    @field_validator("symbol")
    @classmethod
    def _symbol(cls, value: str) -> str:
        return normalize_symbol(value)


class AssetOut(BaseModel):
    symbol: str
    name: str
    addedAt: int


class AssetList(BaseModel):
    assets: list[AssetOut]
    count: int
    max: int


class OnChainOut(BaseModel):
    price: str
    updatedAt: int
    txHash: str | None


class PriceOut(BaseModel):
    asset: str
    price: str | None
    timestamp: int | None
    source: str | None
    onChain: OnChainOut | None


class PriceList(BaseModel):
    prices: list[PriceOut]
    timestamp: int


class PriceQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assets: list[str] = Field(min_length=1, max_length=MAX_PRICE_QUERY)

    @field_validator("assets")
    @classmethod
    def _symbols(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(normalize_symbol(v) for v in values))
