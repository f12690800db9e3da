"""Endpoint lists and masking (no chain): what RPC_URL may hold and what may be shown of it."""

from __future__ import annotations

import pytest

from shared.evm.endpoints import EndpointPool, mask_url, split_urls


def test_rpc_url_is_a_comma_separated_failover_order() -> None:
    assert split_urls("http://a:8545, http://b:8545 ,") == ["http://a:8545", "http://b:8545"]
    assert split_urls(["http://a:8545"]) == ["http://a:8545"]
    with pytest.raises(ValueError):
        split_urls(" , ")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:8545", "http://127.0.0.1:8545"),
        ("https://user:pa55@rpc.example.com/", "https://***@rpc.example.com/"),
        ("https://rpc.example.com/?apikey=abc", "https://rpc.example.com/?***"),
        ("https://eth-mainnet.g.alchemy.com/v2/AbCdEf0123456789XyZ_kEy", "https://eth-mainnet.g.alchemy.com/v2/***"),
        ("https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef", "https://mainnet.infura.io/v3/***"),
        ("http://[::1]:8545/rpc", "http://[::1]:8545/rpc"),
    ],
)
def test_a_shown_endpoint_never_holds_a_credential(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_the_pool_shows_only_masked_endpoints() -> None:
    pool = EndpointPool("https://u:secret@a.example/?key=k3y,https://b.example/v2/AbCdEf0123456789XyZ")
    assert pool.current_endpoint == "https://***@a.example/?***"
    assert "secret" not in repr(pool) and "k3y" not in repr(pool) and "AbCdEf" not in repr(pool)
    assert [s["endpoint"] for s in pool.status()] == ["https://***@a.example/?***", "https://b.example/v2/***"]
