"""The price service's series that the alerts rely on (ops/prometheus/alerts.yml) say what they claim.

- `price_service_last_onchain_update_timestamp{asset}` is there after a restart without a push (read
  back from the chain), and gone once the asset is removed (else the heartbeat alert fires for ever).
- `price_service_updater_balance_ether` is NaN until the balance is read (never a false 0).
"""

from __future__ import annotations

import math
import re

from tests.services.price_service.service_harness import AUTH, running, settings_for, settle

SERIES = re.compile(r'^price_service_last_onchain_update_timestamp\{asset="(\w+)"\} (\S+)$', re.M)


def stamps(metrics: str) -> dict[str, float]:
    return {asset: float(value) for asset, value in SERIES.findall(metrics)}


def balance(metrics: str) -> float:
    return float(re.search(r"^price_service_updater_balance_ether (\S+)$", metrics, re.M).group(1))  # type: ignore[union-attr]


async def test_onchain_time_survives_a_restart_and_leaves_with_the_asset(local_chain, oracle_address, cmc, engine) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(local_chain.url, oracle_address, local_chain.keys[1], engine.url)
    cmc.prices = {"BTC": "97000", "ETH": "3000"}
    async with running(settings) as (client, service):
        for symbol in ("BTC", "ETH"):
            assert (await client.post("/assets", json={"symbol": symbol}, headers=AUTH)).status_code == 201
        await settle(service)
        pushed = stamps((await client.get("/metrics")).text)
        assert set(pushed) == {"BTC", "ETH"} and all(v > 0 for v in pushed.values())

    pushes = len(engine.requests)
    async with running(settings) as (client, service):  # same database: both still tracked, prices unchanged
        await settle(service)
        assert len(engine.requests) == pushes  # nothing new was pushed ...
        assert stamps((await client.get("/metrics")).text) == pushed  # ... and the on-chain times are known

        assert (await client.delete("/assets/ETH", headers=AUTH)).status_code == 200
        metrics = (await client.get("/metrics")).text
        assert set(stamps(metrics)) == {"BTC"}
        assert 'price_service_price_deviation_percent{asset="ETH"}' not in metrics


async def test_updater_balance_is_nan_until_read(local_chain, oracle_address, cmc, engine) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(local_chain.url, oracle_address, local_chain.keys[1], engine.url)
    async with running(settings) as (client, _service):
        assert math.isnan(balance((await client.get("/metrics")).text))
        assert (await client.get("/health")).status_code == 200
        assert balance((await client.get("/metrics")).text) > 0
