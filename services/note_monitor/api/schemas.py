"""Request and response bodies, camelCase on the wire exactly as docs/http-api.md says."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.note_monitor.escrows import Escrow
from shared.positions import PositionOut, RemovedOut
from shared.types import Address, FieldSecret

MAX_INSTANCE_BYTES = 16 * 1024


class RegisterEscrow(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    address: Address
    secret_key: FieldSecret | None = Field(None, alias="secretKey", description="Lets the PXE decrypt the notes; never stored")
    instance: dict[str, Any] | None = Field(None, description=(
        f"Contract instance passed to pxe_registerContract: at most {MAX_INSTANCE_BYTES} bytes of JSON, and its `address`, "
        "if it has one, is `address`"))
    owner: Address | None = Field(None, description=(
        "The escrow owner's Aztec address: registered with the PXE as a sender of the escrow's notes (pxe_registerSender) "
        "before the first read, since a real PXE finds a note only once it knows its sender"))
    pool: Address | None = Field(None, description=(
        "The escrow's lending pool. Without it the pool is read from the escrow's config note, which on nocom-v1 a PXE "
        "reads only while holding the escrow owner's keys; with it that note is not read (the pool's own config still is, "
        "and checked). Registered as a sender of the escrow's pool notes. An extension of SPEC section 3"))

    @field_validator("instance")
    @classmethod
    def _instance(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        try:
            # What is forwarded to the PXE: JSON proper. Python's parser also takes NaN, Infinity, 1e400
            # and unpaired surrogates ("\ud800"), which no JSON encoder can send on.
            encoded = json.dumps(value, allow_nan=False, ensure_ascii=False).encode()
        except (ValueError, UnicodeEncodeError):
            raise ValueError("must be plain JSON: no NaN or Infinity, no unpaired surrogate") from None
        if len(encoded) > MAX_INSTANCE_BYTES:
            raise ValueError(f"must be at most {MAX_INSTANCE_BYTES} bytes of JSON")
        return value


class EscrowOut(BaseModel):
    address: str
    pool: str
    collateralAsset: str
    debtAsset: str
    hasSecretKey: bool
    registeredAt: int
    owner: str | None = None
    problem: str | None = Field(None, description=(
        "Why this monitor's last sync could not read the escrow, and what to do (its PXE lost its key, say); "
        "null when it read"))


class EscrowList(BaseModel):
    escrows: list[EscrowOut]
    count: int


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
    instanceId: str
    members: list[str]  # the live monitors sharing the database (this one alone on SQLite)
    syncedEscrows: int | None  # escrows this monitor read in its last sync (its share)
    checks: dict[str, Any]


def escrow_out(e: Escrow, problem: str | None = None) -> dict[str, Any]:
    return {
        "address": e.address, "pool": e.pool, "collateralAsset": e.collateral_asset, "debtAsset": e.debt_asset,
        "hasSecretKey": e.has_secret_key, "registeredAt": e.registered_at, "owner": e.owner, "problem": problem,
    }
