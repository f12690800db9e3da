"""Fixtures for the liquidation-engine flow tests (test_liquidation_*.py): the stack of engine_stack.py.

test_api.py defines its own `logs` and `engine` fixtures (the engine's app alone, without a chain or
a PXE); pytest lets a module's fixtures override these for that module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import structlog

from devnet.chain.local import LocalChain
from shared.logging import configure_logging
from tests.services.liquidation_engine.engine_stack import Logs, Stack, running_engine, running_stack


@pytest.fixture
def logs() -> Logs:
    configure_logging("liquidation-engine", "info")
    buffer = Logs()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=buffer))
    return buffer


@pytest.fixture
async def stack(tmp_path: Path, local_chain: LocalChain, oracle_address: str, logs: Logs) -> AsyncIterator[Stack]:
    async with running_stack(tmp_path, local_chain, oracle_address) as s:
        yield s


@pytest.fixture
async def engine(stack: Stack, local_chain: LocalChain, oracle_address: str) -> AsyncIterator[Stack]:
    async with running_engine(stack, local_chain, oracle_address) as s:
        yield s
