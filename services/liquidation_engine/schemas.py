"""Request and response bodies of the liquidation engine (SPEC section 3)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from services.liquidation_engine.models import LiquidationRow
from shared.symbols import normalize_symbol
from shared.units import format_price

MAX_UPDATES = 100
DECIMAL = re.compile(r"^[0-9]{1,30}(\.[0-9]{1,18})?$")
TX_HASH = re.compile(r"^0x[0-9a-fA-F]{1,64}$")
Status = Literal["submitted", "succeeded", "failed", "skipped"]
STATUSES: tuple[str, ...] = ("submitted", "succeeded", "failed", "skipped")


def _decimal(value: str) -> str:
    if not DECIMAL.fullmatch(value):
        raise ValueError("must be a decimal string such as \"97000.5\"")
    return value


class PriceUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    asset: str = Field(max_length=32)
    price: str = Field(max_length=64, description="decimal string; informational, the oracle price is what counts")
    previousPrice: str | None = Field(None, max_length=64)
    timestamp: StrictInt = Field(ge=0)
    txHash: str = Field(max_length=66)

    @field_validator("asset")
    @classmethod
    def _asset(cls, value: str) -> str:
        return normalize_symbol(value)

    @field_validator("price")
    @classmethod
    def _price(cls, value: str) -> str:
        return _decimal(value)

    @field_validator("previousPrice")
    @classmethod
    def _previous(cls, value: str | None) -> str | None:
        return None if value is None else _decimal(value)

    @field_validator("txHash")
    @classmethod
    def _tx_hash(cls, value: str) -> str:
        if not TX_HASH.fullmatch(value):
            raise ValueError("txHash must be 0x followed by 1 to 64 hex digits")
        return value.lower()


class PriceUpdateBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    updates: list[PriceUpdate] = Field(min_length=1, max_length=MAX_UPDATES)


class Accepted(BaseModel):
    accepted: int


class LiquidationOut(BaseModel):
    id: int
    escrow: str
    status: Status
    healthFactor: str
    repayAmount: str
    collateralSeized: str
    collateralPrice: str
    debtPrice: str
    txHash: str | None
    error: str | None
    createdAt: int
    updatedAt: int


class LiquidationList(BaseModel):
    liquidations: list[LiquidationOut]


class Health(BaseModel):
    status: Literal["healthy", "degraded", "unhealthy"]
    service: str
    pxeConnected: bool
    noteMonitorReachable: bool
    positionsTracked: int
    liquidationsSucceeded: int
    liquidationsFailed: int
    lastCheckAt: int | None
    checks: dict[str, Any]


def liquidation_out(row: LiquidationRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "escrow": row.escrow,
        "status": row.status,
        "healthFactor": row.health_factor,
        "repayAmount": row.repay_amount,
        "collateralSeized": row.collateral_seized,
        "collateralPrice": format_price(int(row.collateral_price)),
        "debtPrice": format_price(int(row.debt_price)),
        "txHash": row.tx_hash,
        "error": row.error,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    }
