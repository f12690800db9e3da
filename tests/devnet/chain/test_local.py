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
from devnet.chain.pyevm.dev_chain import DevChain


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
    from services.price_service.evm.oracle import PriceOracle, deploy_data

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


@pytest.mark.parametrize("kind", ["anvil", "py-evm"])
def test_both_chains_hold_transactions_without_mining_or_mine_on_a_block_time(kind: str) -> None:
    if kind == "anvil" and anvil_path() is None:
        pytest.skip("anvil is not installed")
    sender = Account.from_key(ANVIL_DEV_KEYS[7]).address
    with start_local_chain(prefer=kind, no_mining=True) as chain:
        tx = _rpc(chain.url, "eth_sendTransaction", [{"from": sender, "to": sender, "value": "0x1"}])["result"]
        time.sleep(0.5)
        assert _rpc(chain.url, "eth_getTransactionReceipt", [tx])["result"] is None  # held
        _rpc(chain.url, "evm_mine")
        assert _rpc(chain.url, "eth_getTransactionReceipt", [tx])["result"]["status"] == "0x1"
    with start_local_chain(prefer=kind, block_time=0.5) as chain:
        time.sleep(1.3)
        assert int(_rpc(chain.url, "eth_blockNumber")["result"], 16) >= 2
    with pytest.raises(ValueError):
        start_local_chain(prefer=kind, no_mining=True, block_time=1)


def test_kill_stops_the_chain_itself_and_its_port_can_be_reused() -> None:
    if anvil_path() is None:
        pytest.skip("anvil is not installed")
    chain = start_local_chain(prefer="anvil")
    _rpc(chain.url, "evm_mine")
    chain.kill()  # -9 to the whole process group: npm's node shim alone would leave anvil running
    with pytest.raises(OSError):
        _rpc(chain.url, "eth_chainId")
    with start_local_chain(port=chain.port, prefer="anvil") as again:
        assert _rpc(again.url, "eth_blockNumber")["result"] == "0x0"  # a new, empty chain


def test_devchain_pool_answers_like_geth() -> None:
    devchain = DevChain()
    account = Account.from_key(ANVIL_DEV_KEYS[8])

    def raw(nonce: int, max_fee: int, tip: int, value: int = 0) -> str:
        tx = {"nonce": nonce, "maxFeePerGas": max_fee, "maxPriorityFeePerGas": tip, "gas": 21_000, "to": account.address,
              "value": value, "chainId": 31337, "type": 2}
        return "0x" + account.sign_transaction(tx).raw_transaction.hex()

    _call(devchain, "evm_setAutomine", False)
    first = _call(devchain, "eth_sendRawTransaction", raw(0, 10**10, 10**9))["result"]
    assert _call(devchain, "eth_sendRawTransaction", raw(0, 10**10, 10**9))["error"]["message"] == "already known"
    low = _call(devchain, "eth_sendRawTransaction", raw(0, 10**10 + 1, 10**9, value=1))["error"]["message"]
    assert low == "replacement transaction underpriced"
    assert "result" in _call(devchain, "eth_sendRawTransaction", raw(0, 11 * 10**9, 11 * 10**8, value=2))
    pool = _call(devchain, "txpool_content")["result"]["pending"][account.address.lower()]
    assert list(pool) == ["0"] and pool["0"]["value"] == "0x2" and pool["0"]["hash"] != first
    _call(devchain, "evm_mine")
    assert _call(devchain, "eth_sendRawTransaction", raw(0, 10**11, 10**10))["error"]["message"] == "nonce too low"
