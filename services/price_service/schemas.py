"""Request and response bodies of the price service (SPEC section 3)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

SYMBOL_RE = re.compile(r"^[A-Z0-9]{1,15}$")
MAX_PRICE_QUERY = 30


def normalize_symbol(value: str) -> str:
    symbol = value.strip().upper()
    if not SYMBOL_RE.fullmatch(symbol):
        raise ValueError("symbol must be 1-15 characters of A-Z and 0-9")
    return symbol


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
