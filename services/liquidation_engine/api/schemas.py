"""Request and response bodies of the liquidation engine (docs/http-api.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.liquidation_engine.models import LiquidationRow
from shared.types import DecimalString, Symbol, TxHash, WholeNumber
from shared.units import format_units

MAX_UPDATES = 100
Status = Literal["submitted", "unknown", "succeeded", "failed", "skipped"]
StatusFilter = Literal["submitted", "unknown", "succeeded", "failed", "skipped", ""]  # "" is every status


class PriceUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    asset: Symbol
    price: DecimalString = Field(description="informational: the oracle price is what counts")
    previousPrice: DecimalString | None = None
    timestamp: WholeNumber = Field(ge=0)
    txHash: TxHash


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


class EngineHolding(BaseModel):
    """An engine on the shared database: live (its membership lease runs) and the attempts it holds in flight."""

    instance: str
    live: bool
    leaseExpiresInMs: int | None
    inFlight: int


class Health(BaseModel):
    status: Literal["healthy", "degraded", "unhealthy"]
    service: str
    pxeConnected: bool
    noteMonitorReachable: bool
    positionsTracked: int
    liquidationsSucceeded: int
    liquidationsFailed: int
    lastCheckAt: int | None
    instance: str
    engines: list[EngineHolding]
    checks: dict[str, Any]


def liquidation_out(row: LiquidationRow, price_decimals: int) -> dict[str, Any]:
    return {
        "id": row.id,
        "escrow": row.escrow,
        "status": row.status,
        "healthFactor": row.health_factor,
        "repayAmount": row.repay_amount,
        "collateralSeized": row.collateral_seized,
        "collateralPrice": format_units(int(row.collateral_price), price_decimals),
        "debtPrice": format_units(int(row.debt_price), price_decimals),
        "txHash": row.tx_hash,
        "error": row.error,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    }
