"""HTTP routes of the price service: thin, reading the keeper's in-memory state."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from services.price_service.assets import Asset, AssetExists, AssetLimitReached, AssetNotFound
from services.price_service.schemas import AssetIn, AssetList, AssetOut, OnChainOut, PriceList, PriceOut, PriceQuery
from services.price_service.service import PriceService
from shared.auth import require_api_key
from shared.logging import get_logger
from shared.symbols import normalize_symbol
from shared.units import format_price

log = get_logger()
router = APIRouter()


def service(request: Request) -> PriceService:
    return request.app.state.service  # type: ignore[no-any-return]


def asset_out(asset: Asset) -> AssetOut:
    return AssetOut(symbol=asset.symbol, name=asset.name, addedAt=asset.added_at)


def price_out(svc: PriceService, symbol: str) -> PriceOut:
    quote = svc.keeper.quotes.get(symbol)
    onchain = svc.keeper.onchain.get(symbol)
    return PriceOut(
        asset=symbol,
        price=format_price(quote.price) if quote else None,
        timestamp=quote.timestamp if quote else None,
        source=quote.source if quote else None,
        onChain=OnChainOut(price=format_price(onchain.price), updatedAt=onchain.updated_at, txHash=onchain.tx_hash)
        if onchain and onchain.price > 0 else None,
    )


@router.get("/health")
async def health(svc: PriceService = Depends(service)) -> JSONResponse:
    status, body = await svc.health()
    return JSONResponse(body, status_code=status)


@router.get("/assets", response_model=AssetList)
async def list_assets(svc: PriceService = Depends(service)) -> AssetList:
    assets = svc.registry.all()
    return AssetList(assets=[asset_out(a) for a in assets], count=len(assets), max=svc.registry.max_assets)


@router.post("/assets", status_code=201, response_model=AssetOut, dependencies=[Depends(require_api_key)])
async def add_asset(body: AssetIn, svc: PriceService = Depends(service)) -> AssetOut:
    try:
        asset = await svc.registry.add(body.symbol, body.name or body.symbol, int(time.time()))
    except AssetExists:
        raise HTTPException(409, f"Asset already tracked: {body.symbol}") from None
    except AssetLimitReached as exc:
        raise HTTPException(409, f"Tracked asset limit reached ({exc.args[0]})") from None
    log.info("Asset added", asset=asset.symbol, name=asset.name)
    svc.loop.trigger()
    return asset_out(asset)


@router.delete("/assets/{symbol}", response_model=AssetOut, dependencies=[Depends(require_api_key)])
async def remove_asset(symbol: str, svc: PriceService = Depends(service)) -> AssetOut:
    try:
        asset = await svc.registry.remove(normalize_symbol(symbol))
    except (ValueError, AssetNotFound):
        raise HTTPException(404, f"Asset not tracked: {symbol[:32]}") from None
    svc.keeper.forget(asset.symbol)
    log.info("Asset removed", asset=asset.symbol)
    return asset_out(asset)


@router.get("/prices", response_model=PriceList)
async def list_prices(svc: PriceService = Depends(service)) -> PriceList:
    return PriceList(prices=[price_out(svc, s) for s in svc.registry.symbols()], timestamp=int(time.time()))


@router.post("/prices", response_model=PriceList)
async def query_prices(body: PriceQuery, svc: PriceService = Depends(service)) -> PriceList:
    unknown = [s for s in body.assets if svc.registry.get(s) is None]
    if unknown:
        raise HTTPException(404, f"Asset not tracked: {', '.join(unknown)}")
    return PriceList(prices=[price_out(svc, s) for s in body.assets], timestamp=int(time.time()))
