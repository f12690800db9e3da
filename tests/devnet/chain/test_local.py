"""Local chains: dev keys, anvil start/stop, the py-evm fallback and its JSON-RPC behaviour."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from eth_account import Account

from devnet.chain import local as local_module
from devnet.chain.keys import ANVIL_MNEMONIC
from devnet.chain.local import ANVIL_DEV_KEYS, LocalChain, anvil_path, start_local_chain
from devnet.chain.pyevm import DevChain


def _rpc(url: str, method: str, params: list | None = None) -> dict:  # type: ignore[type-arg]
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_dev_keys_are_anvils_mnemonic_accounts() -> None:
    Account.enable_unaudited_hdwallet_features()
    assert len(ANVIL_DEV_KEYS) >= 5
    for i, key in enumerate(ANVIL_DEV_KEYS):
        derived = Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
        assert derived.key.hex().removeprefix("0x") == key.removeprefix("0x")
    assert Account.from_key(ANVIL_DEV_KEYS[0]).address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def test_every_chain_funds_the_dev_accounts(any_chain: LocalChain) -> None:
    accounts = _rpc(any_chain.url, "eth_accounts")["result"]
    expected = [Account.from_key(k).address.lower() for k in ANVIL_DEV_KEYS]
    assert [a.lower() for a in accounts[: len(expected)]] == expected
    assert int(_rpc(any_chain.url, "eth_chainId")["result"], 16) == 31337 == any_chain.chain_id
    for address in expected[:5]:
        assert int(_rpc(any_chain.url, "eth_getBalance", [address, "latest"])["result"], 16) > 10**21


def test_anvil_starts_fast_and_stops_by_pid() -> None:
    if anvil_path() is None:
        pytest.skip("anvil is not installed")
    started = time.monotonic()
    chain = start_local_chain(prefer="anvil")
    try:
        assert chain.kind == "anvil"
        assert time.monotonic() - started < 10
        assert chain.url.startswith("http://127.0.0.1:")
        assert _rpc(chain.url, "eth_chainId")["result"] == "0x7a69"
    finally:
        chain.stop()
    assert chain.process.poll() is not None
    with pytest.raises(OSError):
        _rpc(chain.url, "eth_chainId")
    chain.stop()  # idempotent


def test_falls_back_to_py_evm_when_anvil_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_module, "anvil_path", lambda root=None: None)
    with start_local_chain() as chain:
        assert chain.kind == "py-evm"
        assert chain.keys == ANVIL_DEV_KEYS
        assert _rpc(chain.url, "eth_chainId")["result"] == "0x7a69"
        assert _rpc(chain.url, "web3_clientVersion")["result"].startswith("liquidator-devchain")
    assert chain.process.poll() is not None


def test_prefer_must_be_a_known_kind() -> None:
    with pytest.raises(ValueError):
        start_local_chain(prefer="hardhat")


# ---------------------------------------------------------------- the dev chain in-process


@pytest.fixture(scope="module")
def devchain() -> DevChain:
    return DevChain()


def _call(chain: DevChain, method: str, *params: object) -> dict:  # type: ignore[type-arg]
    return chain.handle({"jsonrpc": "2.0", "id": 7, "method": method, "params": list(params)})


def test_devchain_answers_like_a_node(devchain: DevChain) -> None:
    assert _call(devchain, "eth_chainId") == {"jsonrpc": "2.0", "id": 7, "result": "0x7a69"}
    assert _call(devchain, "net_version")["result"] == "31337"
    block = _call(devchain, "eth_getBlockByNumber", "latest", False)["result"]
    for field in ("number", "hash", "parentHash", "timestamp", "baseFeePerGas", "gasLimit", "miner", "logsBloom"):
        assert field in block
    assert block["logsBloom"].startswith("0x") and len(block["logsBloom"]) == 2 + 512
    assert _call(devchain, "eth_getBlockByNumber", "0x99999", False)["result"] is None
    assert _call(devchain, "eth_getTransactionReceipt", "0x" + "ab" * 32)["result"] is None
    assert _call(devchain, "eth_maxPriorityFeePerGas")["result"] == hex(10**9)
    history = _call(devchain, "eth_feeHistory", "0x2", "latest", [50])["result"]
    assert len(history["baseFeePerGas"]) == len(history["gasUsedRatio"]) + 1
    unknown = _call(devchain, "eth_frobnicate")
    assert unknown["error"]["code"] == -32601
    batch = devchain.handle([{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, {"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber"}])
    assert [r["id"] for r in batch] == [1, 2]


def test_devchain_block_time_follows_the_wall_clock(devchain: DevChain) -> None:
    before = int(time.time())
    _call(devchain, "evm_mine")
    ts = int(_call(devchain, "eth_getBlockByNumber", "latest", False)["result"]["timestamp"], 16)
    assert before <= ts <= int(time.time()) + 5
    _call(devchain, "evm_increaseTime", 3600)
    _call(devchain, "evm_mine")
    later = int(_call(devchain, "eth_getBlockByNumber", "latest", False)["result"]["timestamp"], 16)
    assert later >= before + 3600 and later > ts
    _call(devchain, "evm_setNextBlockTimestamp", later + 100)
    _call(devchain, "evm_mine")
    assert int(_call(devchain, "eth_getBlockByNumber", "latest", False)["result"]["timestamp"], 16) == later + 100


def test_devchain_reports_reverts_like_anvil(devchain: DevChain) -> None:
    from shared.evm.oracle import PriceOracle, deploy_data

    sender = Account.from_key(ANVIL_DEV_KEYS[0]).address
    tx_hash = _call(devchain, "eth_sendTransaction", {"from": sender, "data": "0x" + deploy_data(sender).hex()})["result"]
    receipt = _call(devchain, "eth_getTransactionReceipt", tx_hash)["result"]
    assert receipt["status"] == "0x1" and receipt["contractAddress"]
    data = "0x" + PriceOracle.encode_set_prices({"BTC": (0, 1)}).hex()
    for method in ("eth_call", "eth_estimateGas"):
        error = _call(devchain, method, {"from": sender, "to": receipt["contractAddress"], "data": data})["error"]
        assert error["code"] == 3
        assert error["message"] == "execution reverted: Zero price"
        assert error["data"].startswith("0x08c379a0")


def test_devchain_clock_does_not_run_ahead_under_a_burst() -> None:
    devchain = DevChain()  # its own: the module's chain was moved forward in time above
    sender = Account.from_key(ANVIL_DEV_KEYS[5]).address
    receiver = Account.from_key(ANVIL_DEV_KEYS[6]).address
    start = int(_call(devchain, "eth_blockNumber")["result"], 16)
    for _ in range(30):  # 30 blocks in well under 30 seconds
        tx = _call(devchain, "eth_sendTransaction", {"from": sender, "to": receiver, "value": "0x1"})
        assert "result" in tx, tx
    assert int(_call(devchain, "eth_blockNumber")["result"], 16) == start + 30
    latest = int(_call(devchain, "eth_getBlockByNumber", "latest", False)["result"]["timestamp"], 16)
    assert latest <= int(time.time()) + 1
