"""HTTP routes of the price service: thin translations between the wire and PriceService."""

from __future__ import annotations

import time

from fastapi import APIRouter, HTTPException

from services.price_service.api.deps import PriceServiceDep
from services.price_service.api.schemas import (
    AssetIn,
    AssetList,
    AssetOut,
    OnChainOut,
    PriceList,
    PriceOut,
    PriceQuery,
)
from services.price_service.assets import Asset, AssetExists, AssetLimitReached, AssetNotFound
from services.price_service.service import AssetPrice
from shared.auth import protected_router
from shared.errors import error_responses
from shared.types import Symbol
from shared.units import format_price, format_units

router = APIRouter()
protected = protected_router()


def asset_out(asset: Asset) -> AssetOut:
    return AssetOut(symbol=asset.symbol, name=asset.name, addedAt=asset.added_at)


def price_out(item: AssetPrice, feed_decimals: int) -> PriceOut:
    quote, onchain = item.quote, item.onchain
    return PriceOut(
        asset=item.symbol,
        price=format_price(quote.price) if quote else None,
        timestamp=quote.timestamp if quote else None,
        source=quote.source if quote else None,
        onChain=OnChainOut(price=format_units(onchain.price, feed_decimals), updatedAt=onchain.updated_at,
                           txHash=onchain.tx_hash, token=item.token) if onchain and onchain.price > 0 else None,
        noPrice=item.no_price,
    )


@router.get("/assets", response_model=AssetList)
async def list_assets(svc: PriceServiceDep) -> AssetList:
    assets = svc.assets()
    return AssetList(assets=[asset_out(a) for a in assets], count=len(assets), max=svc.max_assets)


@protected.post("/assets", status_code=201, response_model=AssetOut, responses=error_responses(400, 401, 409, 413, 422))
async def add_asset(body: AssetIn, svc: PriceServiceDep) -> AssetOut:
    try:
        asset = await svc.add_asset(body.symbol, body.name or body.symbol, int(time.time()))
    except AssetExists:
        raise HTTPException(409, f"Asset already tracked: {body.symbol}") from None
    except AssetLimitReached as exc:
        raise HTTPException(409, f"Tracked asset limit reached ({exc.args[0]})") from None
    return asset_out(asset)


@protected.delete("/assets/{symbol}", response_model=AssetOut, responses=error_responses(401, 404, 422))
async def remove_asset(symbol: Symbol, svc: PriceServiceDep) -> AssetOut:
    try:
        asset = await svc.remove_asset(symbol)
    except AssetNotFound:
        raise HTTPException(404, f"Asset not tracked: {symbol}") from None
    return asset_out(asset)


@router.get("/prices", response_model=PriceList)
async def list_prices(svc: PriceServiceDep) -> PriceList:
    return PriceList(prices=[price_out(p, svc.price_decimals) for p in svc.prices()], timestamp=int(time.time()))


@router.post("/prices", response_model=PriceList, responses=error_responses(400, 404, 413, 422))
async def query_prices(body: PriceQuery, svc: PriceServiceDep) -> PriceList:
    try:
        found = svc.prices(list(dict.fromkeys(body.assets)))
    except AssetNotFound as exc:
        raise HTTPException(404, f"Asset not tracked: {', '.join(exc.args[0])}") from None
    return PriceList(prices=[price_out(p, svc.price_decimals) for p in found], timestamp=int(time.time()))
