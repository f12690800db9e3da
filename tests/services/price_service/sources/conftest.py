"""Shared by the source tests: a respx router that refuses any request no test expected (`http`, or `cmc`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import respx


@pytest.fixture
def http() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        yield router


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every stdlib log record (httpx's included) at every level."""
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture
def cmc(http: respx.MockRouter) -> respx.MockRouter:
    """The CoinMarketCap tests' name for the same router."""
    return http
