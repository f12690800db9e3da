"""`PROTOCOL=nocom-v1 make run`: the suite starts the development PXE in nocom-v1 mode with its demo
and hands the services nocom-v1's settings (README.md, Configuration) (the services' own nocom-v1 support is tested
with them)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from devnet.pxe.nocom_v1.admin import NocomAdmin
from devnet.run import protocol_from_env
from devnet.suite import DEV_LIQUIDATOR_KEY, LIQUIDATOR_ETH, LIQUIDATOR_FUNDS, LocalSuite, SuiteConfig, free_ports

STUB_CHAIN = SimpleNamespace(url="http://127.0.0.1:1", keys=["0x" + "11" * 32, "0x" + "22" * 32])


def test_the_pxe_runs_nocom_v1_and_the_services_are_told_where_the_feed_is(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRICE_FEED_ADDRESS", "0xstale")  # a developer's shell never leaks into the services
    suite = LocalSuite(SuiteConfig(state_dir=tmp_path, log_dir=tmp_path / "logs", log_format="json", ports=free_ports(),
                                   protocol="nocom-v1"))
    try:
        suite.start_pxe()  # no chain: nocom-v1's prices are in the PXE's own feed
        feed, tokens = suite.demo["feed"], suite.demo["tokens"]
        suite.chain = STUB_CHAIN  # type: ignore[assignment]
        env = suite.env_for("price-service")
        assert env["PROTOCOL"] == "nocom-v1"
        assert env["PRICE_FEED_ADDRESS"] == feed["address"]
        assert env["ASSET_TOKENS"] == f"BTC={tokens['BTC']},ETH={tokens['ETH']},USDC={tokens['USDC']}"
        assert env["PXE_URL"] == suite.url("pxe") and env["RPC_URL"] == STUB_CHAIN.url  # what the reference run passes too

        admin = NocomAdmin(suite.url("pxe"))
        assert admin.call("pxe_registerAccount", [env["PRICE_FEED_ADMIN_SECRET_KEY"]])["address"] == feed["admin"]
        liquidator = admin.call("pxe_registerAccount", [DEV_LIQUIDATOR_KEY])["address"]
        assert admin.utility("balance_of_private", [liquidator], tokens["USDC"]) == [LIQUIDATOR_FUNDS]
        assert admin.utility("balance_of_private", [liquidator], tokens["ETH"]) == [LIQUIDATOR_ETH]
        assert len(admin.call("dev_listEscrows")) == suite.config.demo_escrows
    finally:
        suite.chain = None
        suite.stop_all()


def test_the_reference_run_names_its_protocol_and_nothing_of_nocom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROTOCOL", "nocom-v1")
    monkeypatch.setenv("ASSET_TOKENS", "BTC=0x01")
    suite = LocalSuite(SuiteConfig(state_dir=tmp_path))
    suite.chain = STUB_CHAIN  # type: ignore[assignment]
    env = suite.env_for("liquidation-engine")
    assert env["PROTOCOL"] == "reference"
    assert not {"ASSET_TOKENS", "PRICE_FEED_ADDRESS", "PRICE_FEED_ADMIN_SECRET_KEY"} & env.keys()


def test_make_run_reads_protocol(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROTOCOL", raising=False)
    assert protocol_from_env() == "reference"
    monkeypatch.setenv("PROTOCOL", " NOCOM-V1 ")
    assert protocol_from_env() == "nocom-v1"
    monkeypatch.setenv("PROTOCOL", "aave")
    with pytest.raises(SystemExit, match="PROTOCOL must be one of reference, nocom-v1"):
        protocol_from_env()
