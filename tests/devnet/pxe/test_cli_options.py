"""`python -m devnet.pxe` with the options a real PXE's costs and rules need: --require-senders,
--max-calls, --costs, --time-scale and --cost (or their DEV_PXE_* environment variables)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import pytest

from devnet.chain.local import free_port
from devnet.pxe.__main__ import parse_args
from devnet.suite import stop_process
from tests.fixtures.paths import REPO


def test_the_defaults_are_todays_behaviour() -> None:
    args = parse_args([])
    assert (args.require_senders, args.max_calls, args.cost_model.profile, args.cost_model.scale) == (False, 5, "none", 1.0)


def test_flags_and_their_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    args = parse_args(["--require-senders", "--max-calls", "4", "--costs", "real-proofs", "--time-scale", "0.01",
                       "--cost", "pxe_simulateView=1.5", "--cost", "prove=30"])
    model = args.cost_model
    assert (args.require_senders, args.max_calls, model.profile, model.scale) == (True, 4, "real-proofs", 0.01)
    assert (model.of("pxe_simulateView"), model.of("prove"), model.of("simulate")) == (1.5, 30.0, 1.45)

    for name, value in (("DEV_PXE_REQUIRE_SENDERS", "true"), ("DEV_PXE_MAX_CALLS", "3"), ("DEV_PXE_COSTS", "fake-proofs"),
                        ("DEV_PXE_TIME_SCALE", "0.5"), ("DEV_PXE_COST", "node=0.01, prove=2")):
        monkeypatch.setenv(name, value)
    args = parse_args([])
    model = args.cost_model
    assert (args.require_senders, args.max_calls, model.profile, model.scale) == (True, 3, "fake-proofs", 0.5)
    assert (model.of("node"), model.of("prove")) == (0.01, 2.0)


@pytest.mark.parametrize("argv", [["--costs", "slow"], ["--time-scale", "0"], ["--costs", "fake-proofs", "--cost", "prove"],
                                  ["--costs", "fake-proofs", "--cost", "proof=1"], ["--cost", "prove=1"], ["--max-calls", "0"]])
def test_bad_options_stop_the_cli_with_the_reason(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(argv)
    assert "python -m devnet.pxe: error:" in capsys.readouterr().err


def rpc(url: str, method: str, params: list | None = None) -> dict:
    return httpx.post(f"{url}/", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).json()


def test_the_cli_serves_a_costed_pxe_that_needs_senders() -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "DEV_PXE_COSTS": "fake-proofs"}
    command = [sys.executable, "-m", "devnet.pxe", "--port", str(port), "--protocol", "nocom-v1", "--demo", "--demo-escrows", "3",
               "--require-senders", "--max-calls", "3", "--time-scale", "0.001", "--block-time", "0.1"]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        listening = next(event for event in map(json.loads, process.stdout) if event["event"] == "Dev PXE listening")
        assert (listening["costs"], listening["timeScale"], listening["requireSenders"]) == ("fake-proofs", 0.001, True)
        url = listening["url"]
        assert rpc(url, "pxe_getTxLimits")["result"] == {"maxCallsPerTx": 3}
        escrow = rpc(url, "dev_listEscrows")["result"][0]
        assert rpc(url, "pxe_simulateUtility", ["get_config", [], escrow["address"]])["error"]["message"].startswith("No note found")
        for sender in (escrow["owner"], escrow["pool"]):
            assert rpc(url, "pxe_registerSender", [sender])["result"] is None
        assert len(rpc(url, "pxe_simulateUtility", ["get_config", [], escrow["address"]])["result"]["result"]) == 6
        stats = rpc(url, "dev_getJobStats")["result"]
        assert stats["jobs"]["pxe_registerSender"]["count"] == 2 and stats["jobs"]["pxe_simulateUtility"]["count"] == 2
    finally:
        stop_process(process, signal.SIGINT)
