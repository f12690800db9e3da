"""The committed PriceOracle artifact is exactly what the pinned solc builds from the source."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from services.price_service.evm.oracle import ARTIFACT_PATH, load_artifact
from tests.fixtures.paths import REPO

ROOT = REPO
SCRIPT = ROOT / "scripts" / "build_contracts.mjs"
SOURCE = ROOT / "contracts" / "PriceOracle.sol"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the artifact cannot be rebuilt here (CI installs it)")
    if not (ROOT / "node_modules" / "solc" / "package.json").exists():
        pytest.skip("node_modules/solc is missing: run `npm ci` to rebuild the artifact")
    return node


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_node(), str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True, timeout=180, check=False
    )


def test_check_mode_passes_on_the_committed_artifact() -> None:
    result = _run("--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date" in result.stdout


def test_rebuild_matches_byte_for_byte(tmp_path: Path) -> None:
    result = _run("--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "PriceOracle.json").read_bytes() == ARTIFACT_PATH.read_bytes()


def test_check_mode_fails_when_the_artifact_differs(tmp_path: Path) -> None:
    stale = json.loads(ARTIFACT_PATH.read_text())
    stale["bytecode"] = stale["bytecode"][:-2] + ("00" if not stale["bytecode"].endswith("00") else "01")
    (tmp_path / "PriceOracle.json").write_text(json.dumps(stale, indent=2) + "\n")
    result = _run("--check", "--out", str(tmp_path))
    assert result.returncode == 1
    assert "differs" in result.stderr
    missing = _run("--check", "--out", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "missing" in missing.stderr


def test_unknown_argument_is_refused() -> None:
    result = _run("--chekc")
    assert result.returncode == 2
    assert "unknown argument" in result.stderr


def test_artifact_is_stable_pretty_json_with_pinned_settings() -> None:
    text = ARTIFACT_PATH.read_text()
    assert text.endswith("}\n") and not text.endswith("\n\n")
    artifact = load_artifact()
    assert json.dumps(artifact, indent=2) + "\n" == text  # exactly the canonical rendering
    assert list(artifact) == ["contractName", "sourceName", "abi", "bytecode", "deployedBytecode", "compiler", "settings"]
    assert artifact["contractName"] == "PriceOracle"
    assert artifact["sourceName"] == "contracts/PriceOracle.sol"
    assert re.fullmatch(r"0x[0-9a-f]+", artifact["bytecode"])
    assert re.fullmatch(r"0x[0-9a-f]+", artifact["deployedBytecode"])
    assert artifact["settings"]["evmVersion"] == "cancun"
    assert artifact["settings"]["optimizer"] == {"enabled": True, "runs": 200}

    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["solc"]
    assert artifact["compiler"]["name"] == "solc"
    assert artifact["compiler"]["version"].startswith(pinned + "+commit.")
    assert f"pragma solidity {pinned};" in SOURCE.read_text()


def test_abi_is_the_spec_interface() -> None:
    abi = {(e["type"], e.get("name")): e for e in load_artifact()["abi"]}

    def sig(entry: dict) -> list[str]:  # type: ignore[type-arg]
        return [i["type"] for i in entry["inputs"]]

    set_prices = abi[("function", "setPrices")]
    assert sig(set_prices) == ["bytes32[]", "uint256[]", "uint64[]"] and set_prices["outputs"] == []
    assert [i["name"] for i in set_prices["inputs"]] == ["assets", "prices", "observedAt"]
    get_price = abi[("function", "getPrice")]
    assert sig(get_price) == ["bytes32"] and get_price["stateMutability"] == "view"
    assert [(o["name"], o["type"]) for o in get_price["outputs"]] == [("price", "uint256"), ("updatedAt", "uint64")]
    for getter in ("updater", "owner"):
        assert [o["type"] for o in abi[("function", getter)]["outputs"]] == ["address"]
    assert sig(abi[("function", "setUpdater")]) == ["address"]
    assert sig(abi[("constructor", None)]) == ["address"]
    event = abi[("event", "PriceUpdated")]
    assert [(i["name"], i["type"], i["indexed"]) for i in event["inputs"]] == [
        ("asset", "bytes32", True),
        ("price", "uint256", False),
        ("updatedAt", "uint64", False),
    ]
