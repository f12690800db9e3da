"""Request and response bodies, camelCase on the wire exactly as SPEC section 3."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.note_monitor.domain import Escrow, Position, Removed
from shared.pxe.fields import normalize_address, to_field
from shared.symbols import normalize_symbol

MAX_INSTANCE_BYTES = 16 * 1024
SECRET_KEY = re.compile(r"^0x[0-9a-fA-F]{1,64}$")


class RegisterEscrow(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    address: str = Field(description="Aztec address: 0x and 1 to 64 hex digits")
    secret_key: str | None = Field(None, alias="secretKey", description="Lets the PXE decrypt the notes; never stored")
    instance: dict[str, Any] | None = Field(None, description="Contract instance passed to pxe_registerContract")

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        return normalize_address(value)

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: str | None) -> str | None:
        # The message never repeats the value.
        if value is None:
            return None
        if not SECRET_KEY.match(value):
            raise ValueError("must be 0x followed by 1 to 64 hex digits")
        try:
            return to_field(value)
        except ValueError:
            raise ValueError("must be a field element (below 2**254)") from None

    @field_validator("instance")
    @classmethod
    def _instance(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and len(json.dumps(value)) > MAX_INSTANCE_BYTES:
            raise ValueError(f"must be at most {MAX_INSTANCE_BYTES} bytes of JSON")
        return value


def normalize_asset(value: str | None) -> str | None:
    return None if value is None else normalize_symbol(value)


class EscrowOut(BaseModel):
    address: str
    pool: str
    collateralAsset: str
    debtAsset: str
    hasSecretKey: bool
    registeredAt: int


class EscrowList(BaseModel):
    escrows: list[EscrowOut]
    count: int


class PositionOut(BaseModel):
    escrow: str
    pool: str
    collateralAsset: str
    collateralToken: str
    collateralAmount: str
    debtAsset: str
    debtToken: str
    debtPrincipal: str
    debtEpoch: int
    liquidationThresholdBps: int
    syncedAt: int
    blockNumber: int
    version: int


class RemovedOut(BaseModel):
    escrow: str
    removed: Literal[True]
    version: int


class PositionPage(BaseModel):
    positions: list[PositionOut | RemovedOut]
    total: int
    limit: int
    offset: int
    version: int


class SyncAccepted(BaseModel):
    status: Literal["accepted"]


class Health(BaseModel):
    status: Literal["healthy", "degraded", "unhealthy"]
    service: str
    totalEscrows: int
    totalPositions: int
    pxeConnected: bool
    lastSyncAt: int | None
    lastSyncDurationMs: int | None
    checks: dict[str, Any]


def escrow_out(e: Escrow) -> dict[str, Any]:
    return {
        "address": e.address, "pool": e.pool, "collateralAsset": e.collateral_asset, "debtAsset": e.debt_asset,
        "hasSecretKey": e.has_secret_key, "registeredAt": e.registered_at,
    }


def position_out(p: Position | Removed) -> dict[str, Any]:
    if isinstance(p, Removed):
        return {"escrow": p.escrow, "removed": True, "version": p.version}
    return {
        "escrow": p.escrow, "pool": p.pool, "collateralAsset": p.collateral_asset, "collateralToken": p.collateral_token,
        "collateralAmount": str(p.collateral_amount), "debtAsset": p.debt_asset, "debtToken": p.debt_token,
        "debtPrincipal": str(p.debt_principal), "debtEpoch": p.debt_epoch,
        "liquidationThresholdBps": p.liquidation_threshold_bps, "syncedAt": p.synced_at,
        "blockNumber": p.block_number, "version": p.version,
    }
