"""Production runs nothing only development may (issue 21): the mock source in every spelling, keys published
with development chains, the local run's keys; and every setting checked against the others. Each refusal
is the service's own start, as an operator runs it: one line naming the setting on stderr, exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from eth_account import Account

from devnet.chain.keys import ANVIL_DEV_KEYS
from devnet.suite import DEV_LIQUIDATOR_KEY as LOCAL_RUN_LIQUIDATOR_KEY
from services.liquidation_engine.settings import DEV_LIQUIDATOR_KEY as ENGINE_DEV_KEY
from services.price_service.published_keys import AZTEC_TEST_ACCOUNT_KEYS, DEV_CHAIN_KEYS, DEV_CHAIN_MNEMONIC, published_as
from services.price_service.settings import DEV_UPDATER_KEY, PriceServiceSettings
from shared.settings import environment_names, load_settings
from tests.conftest import TEST_API_KEY
from tests.fixtures.paths import REPO as REPO_ROOT

OWN_KEY = "0x" + "3c" * 31 + "7d"
CMC_KEY = "cmc-key-0d1f3a5c7e9b2d4f6a8c0e1b"
BASE = {"ENVIRONMENT": "production", "LIQUIDATION_API_KEY": TEST_API_KEY, "ORACLE_ADDRESS": "0x" + "11" * 20,
        "ORACLE_UPDATER_PRIVATE_KEY": OWN_KEY, "CMC_API_KEY": CMC_KEY, "COINGECKO_API_KEY": "cg-key-9a8b7c6d5e4f3a2b1c"}
NOCOM = {"PROTOCOL": "nocom-v1", "PRICE_FEED_ADDRESS": "0x" + "22" * 32, "ASSET_TOKENS": "BTC=0x" + "33" * 32,
         "PRICE_FEED_ADMIN_SECRET_KEY": OWN_KEY}

REFUSED = [
    ({"CMC_API_KEY": ""}, "CMC_API_KEY"),
    ({"CMC_API_KEY": "mock"}, "CMC_API_KEY"),
    ({"PRICE_SOURCES": "mock"}, "PRICE_SOURCES"),
    ({"PRICE_SOURCES": "mock,coinbase"}, "PRICE_SOURCES"),
    ({"PRICE_SOURCES": "coinbase,cmc", "CMC_API_KEY": "mock"}, "CMC_API_KEY"),
    ({"ORACLE_UPDATER_PRIVATE_KEY": ANVIL_DEV_KEYS[0]}, "ORACLE_UPDATER_PRIVATE_KEY"),
    ({"ORACLE_UPDATER_PRIVATE_KEY": DEV_UPDATER_KEY.upper().replace("0X", "0x")}, "ORACLE_UPDATER_PRIVATE_KEY"),
    ({"ORACLE_UPDATER_PRIVATE_KEY": DEV_CHAIN_KEYS[17]}, "ORACLE_UPDATER_PRIVATE_KEY"),  # hardhat's accounts 10-19
    ({**NOCOM, "PRICE_FEED_ADMIN_SECRET_KEY": AZTEC_TEST_ACCOUNT_KEYS[0]}, "PRICE_FEED_ADMIN_SECRET_KEY"),
    ({**NOCOM, "PRICE_FEED_ADMIN_SECRET_KEY": LOCAL_RUN_LIQUIDATOR_KEY}, "PRICE_FEED_ADMIN_SECRET_KEY"),
    ({"RPC_URL": ""}, "RPC_URL"),
    ({"RPC_URL": ","}, "RPC_URL"),
    ({"PXE_URL": ""}, "PXE_URL"),
    ({"LIQUIDATION_ENGINE_URL": " , "}, "LIQUIDATION_ENGINE_URL"),
    ({"LIQUIDATION_ENGINE_URL": "engine:3002"}, "LIQUIDATION_ENGINE_URL"),
    ({"CMC_BASE_URL": "http://pro-api.coinmarketcap.com"}, "CMC_BASE_URL"),
    ({"PRICE_SOURCES": "coingecko,kraken", "KRAKEN_BASE_URL": "http://api.kraken.com"}, "KRAKEN_BASE_URL"),
    ({"WATCHDOG_TIMEOUT": "1", "PRICE_POLL_INTERVAL": "60"}, "WATCHDOG_TIMEOUT"),
    ({"WATCHDOG_TIMEOUT": "125", "PRICE_POLL_INTERVAL": "60"}, "WATCHDOG_TIMEOUT"),  # 2 x 60 + SOURCE_TIMEOUT 10 = 130
    ({"PRICE_POLL_INTERVAL": "inf"}, "PRICE_POLL_INTERVAL"),
    ({"PRICE_LEASE_TTL": "0.001"}, "PRICE_LEASE_TTL"),
    ({"PRICE_LEASE_TTL": "60", "PRICE_POLL_INTERVAL": "60"}, "PRICE_LEASE_TTL"),
    ({"FETCH_STALE_AFTER": "30", "PRICE_POLL_INTERVAL": "60"}, "FETCH_STALE_AFTER"),
    ({"MAX_PRICE_JUMP": "0.5"}, "MAX_PRICE_JUMP"),
    ({"CHAIN_ID": "mainnet"}, "CHAIN_ID"),
    ({"CHAIN_ID": "0"}, "CHAIN_ID"),
]


def start(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    settings = environment_names(PriceServiceSettings)
    clean = {k: v for k, v in os.environ.items() if k.upper() not in settings}  # the machine's own settings left out
    return subprocess.run([sys.executable, "-m", "services.price_service"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env={**clean, "PYTHONPATH": str(REPO_ROOT), **env,
                                           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/p.db"})


@pytest.mark.parametrize("change, setting", REFUSED, ids=[f"{s}-{i}" for i, (_, s) in enumerate(REFUSED)])
def test_production_refuses_at_start_with_one_line_naming_the_setting(change: dict[str, str], setting: str,
                                                                      tmp_path: Path) -> None:
    done = start({**BASE, **change}, tmp_path)
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("price-service: configuration error: ") and setting in line and "Traceback" not in line
    for value in change.values():
        if value.startswith("0x") and len(value) > 40:
            assert value.lower()[2:] not in line.lower()  # a key is named, never shown


def test_development_runs_the_mock_source_and_published_keys(tmp_path: Path) -> None:
    settings = load_settings(PriceServiceSettings, environment="development", liquidation_api_key=TEST_API_KEY,
                             oracle_updater_private_key=ANVIL_DEV_KEYS[1], price_sources="mock,coinbase",
                             coinbase_base_url="http://exchange.internal", database_url=f"sqlite+aiosqlite:///{tmp_path}/p.db")
    assert settings.source_names == ["mock", "coinbase"]


def test_production_with_its_own_keys_and_sources_starts_settings() -> None:
    settings = load_settings(PriceServiceSettings, **{k.lower(): v for k, v in BASE.items()},
                             cmc_base_url="http://127.0.0.1:8443", chain_id="31337")  # a local proxy may be plain http
    assert settings.chain_id == 31337 and settings.watchdog_seconds == 600 and settings.fetch_stale_seconds == 300
    slow = load_settings(PriceServiceSettings, **{k.lower(): v for k, v in BASE.items()}, price_poll_interval=600)
    assert slow.watchdog_seconds == 2 * 600 + 10 and slow.fetch_stale_seconds == 1200


def test_the_published_keys_are_the_development_chains_and_the_local_runs() -> None:
    Account.enable_unaudited_hdwallet_features()
    derived = [Account.from_mnemonic(DEV_CHAIN_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").key.hex() for i in range(20)]
    assert [k.removeprefix("0x") for k in DEV_CHAIN_KEYS] == [k.removeprefix("0x") for k in derived]
    for key in [*ANVIL_DEV_KEYS, DEV_UPDATER_KEY, LOCAL_RUN_LIQUIDATOR_KEY, ENGINE_DEV_KEY, *AZTEC_TEST_ACCOUNT_KEYS]:
        assert published_as(key) is not None, key
    assert published_as(OWN_KEY) is None


def test_the_development_chain_is_a_development_dependency_only() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    def named(requirements: list[str]) -> set[str]:
        return {r.split("[")[0].split(">")[0].split("=")[0].strip().lower() for r in requirements}
    assert "eth-tester" not in named(project["dependencies"])
    assert "eth-tester" in named(project["optional-dependencies"]["dev"])
    assert "eth-tester" in named(project["optional-dependencies"]["test"])  # make test and make run install it
    product = [p for d in ("services", "shared") for p in (REPO_ROOT / d).rglob("*.py")]
    assert not [p for p in product if "eth_tester" in p.read_text() or "import eth\n" in p.read_text()]
