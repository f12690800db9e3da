"""FeedSettings' CHAIN_ID (SPEC section 2): one setting for the price service and the engine alike, checked at
start; empty means the first reachable endpoint's chain (tests/shared/evm/test_endpoint_agreement.py)."""

from __future__ import annotations

import pytest

from shared.settings import FeedSettings, ServiceSettings, SettingsError, load_settings


class Feed(ServiceSettings, FeedSettings):
    """The feed group, composed as the price service and the engine compose it."""

    @property
    def port(self) -> int:
        return 1


def feed(**env: str) -> Feed:
    return load_settings(Feed, environment="development", **env)


@pytest.mark.parametrize("raw, expected", [("", None), ("  ", None), ("1", 1), ("31337", 31337)])
def test_chain_id_is_a_chain_id_or_empty(raw: str, expected: int | None) -> None:
    assert feed(chain_id=raw).chain_id == expected


@pytest.mark.parametrize("raw", ["mainnet", "0x7a69", "0", "-1", "1.5", str(2**60)])
def test_a_chain_id_that_is_not_one_stops_with_one_line_naming_it(raw: str) -> None:
    with pytest.raises(SettingsError, match="CHAIN_ID"):
        feed(chain_id=raw)


def test_both_feed_readers_have_it() -> None:
    from services.liquidation_engine.settings import LiquidationEngineSettings
    from services.price_service.settings import PriceServiceSettings

    assert "chain_id" in PriceServiceSettings.model_fields and "chain_id" in LiquidationEngineSettings.model_fields
