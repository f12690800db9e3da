"""The real-network tier (`make test-aztec`): opt-in, against a running Aztec 3.0.0-devnet.5 node.

    AZTEC_NODE_URL=http://127.0.0.1:18080 make test-aztec

The tier deploys what it needs with the network's own test accounts (gateway/test/network/deploy.ts; or
set AZTEC_DEPLOYED to a file a deploy printed, to reuse one), starts the project's gateway on the node and
the three services as processes, as operators run them, and checks what each does there. Environment:

  AZTEC_NODE_URL        the node (required; without it every test here is skipped and says so)
  PXE_PROVER_ENABLED    false (the default here) on a network that accepts fake proofs, such as a sandbox
  FEE_PAYMENT           fee-juice (default: the test accounts hold fee juice) or sponsored
  ARTIFACTS_DIR         an operator's nocom-v1 pool and aztec-standards Token artifacts: with them the tier
                        also opens a position and liquidates it; without them it says which steps it skipped
  AZTEC_DEPLOYED        a file holding a previous deploy's output (skips deploying again)

CI cannot start such a network (it needs aztec-packages' source to build the node), so CI skips this tier.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devnet.suite import stop_process
from tests.aztec.network import AZTEC_TOKEN_ARTIFACTS, ENV, NODE_URL, Deployed, deploy, operator_artifacts
from tests.gateway.conftest import RunningGateway, gateway_installed, start_gateway


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if NODE_URL:
        return
    skip = pytest.mark.skip(reason="AZTEC_NODE_URL is not set: the real-network tier is opt-in (AZTEC_NODE_URL=... make test-aztec)")
    for item in items:
        if "tests/aztec/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def tier_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("aztec-tier")


@pytest.fixture(scope="session")
def deployed(tier_dir: Path) -> Deployed:
    if not gateway_installed():
        pytest.skip("gateway/node_modules is missing: run `npm ci --prefix gateway` (make test-aztec does)")
    return deploy(tier_dir / "deploy.log")


@pytest.fixture(scope="session")
def gateway(tier_dir: Path, deployed: Deployed) -> Iterator[RunningGateway]:
    artifacts = ",".join(str(p) for p in [AZTEC_TOKEN_ARTIFACTS, *operator_artifacts()])
    settings = {"PXE_PROVER_ENABLED": ENV.get("PXE_PROVER_ENABLED", "false"), "FEE_PAYMENT": ENV.get("FEE_PAYMENT", "fee-juice"),
                "ARTIFACTS_DIR": artifacts, "LOG_LEVEL": "info", "SDK_LOG_LEVEL": "warn"}
    running = start_gateway(NODE_URL, tier_dir, **settings)
    try:
        yield running
    finally:
        stop_process(running.process)
