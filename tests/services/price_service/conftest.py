"""Fixtures of the price service's integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import respx

from tests.conftest import TEST_API_KEY
from tests.fixtures.recorder import Recorder, recording_server
from tests.services.price_service.service_harness import Cmc


@pytest.fixture
async def cmc() -> AsyncIterator[Cmc]:
    with respx.mock(assert_all_called=False) as router:
        router.route(host="127.0.0.1").pass_through()
        yield Cmc(router)


@pytest.fixture
async def engine() -> AsyncIterator[Recorder]:
    async with recording_server(TEST_API_KEY) as recorder:
        yield recorder
