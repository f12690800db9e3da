"""JSON-RPC params read into what eth-tester takes: quantities, block ids, transaction dicts."""

from __future__ import annotations

from typing import Any

from devnet.chain.pyevm.rpc_error import RpcError

BLOCK_TAGS = ("latest", "pending", "earliest", "safe", "finalized")


def parse_quantity(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value, 16) if value.startswith(("0x", "0X")) else int(value)
    raise RpcError(-32602, f"invalid quantity: {value!r}")


def parse_block_id(value: Any, default: str = "latest") -> Any:
    if value is None:
        return default
    if isinstance(value, dict):  # EIP-1898 {"blockNumber": ...} / {"blockHash": ...}
        if "blockNumber" in value:
            return parse_block_id(value["blockNumber"])
        raise RpcError(-32602, "block hash selectors are not supported by the dev chain")
    if value in BLOCK_TAGS:
        return value
    return parse_quantity(value)


_TX_KEYS = {
    "from": "from",
    "to": "to",
    "gas": "gas",
    "gasPrice": "gas_price",
    "maxFeePerGas": "max_fee_per_gas",
    "maxPriorityFeePerGas": "max_priority_fee_per_gas",
    "value": "value",
    "data": "data",
    "input": "data",
    "nonce": "nonce",
    "chainId": "chain_id",
    "accessList": "access_list",
}
_TX_INT_KEYS = {"gas", "gas_price", "max_fee_per_gas", "max_priority_fee_per_gas", "value", "nonce", "chain_id"}


def parse_tx(raw: dict[str, Any], default_from: str) -> dict[str, Any]:
    tx: dict[str, Any] = {}
    for key, value in raw.items():
        name = _TX_KEYS.get(key)
        if name is None or value is None:
            continue
        if name in _TX_INT_KEYS:
            value = parse_quantity(value)
        if name == "access_list":
            value = [{"address": i["address"], "storage_keys": i.get("storageKeys", [])} for i in value]
        tx[name] = value
    tx.setdefault("from", default_from)
    if tx.get("to") in ("", "0x"):
        tx.pop("to")
    return tx
