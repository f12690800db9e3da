"""eth-tester's results (snake_case keys, ints, bytes) turned into JSON-RPC wire format (camelCase, hex)."""

from __future__ import annotations

from typing import Any


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _hex_quantity(value: int) -> str:
    return hex(value)


def wire(value: Any) -> Any:
    """eth-tester output (snake_case keys, ints, hex strings) → JSON-RPC wire format."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return _hex_quantity(value)
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [wire(v) for v in value]
    if isinstance(value, dict):
        return {_camel(k): wire(v) for k, v in value.items()}
    return value


def _bloom_hex(value: int) -> str:
    return "0x" + value.to_bytes(256, "big").hex()


def wire_log(entry: dict[str, Any]) -> dict[str, Any]:
    out = wire({k: v for k, v in entry.items() if k != "type"})
    out["removed"] = False
    return out


def wire_tx(tx: dict[str, Any]) -> dict[str, Any]:
    tx = dict(tx)
    tx["input"] = tx.pop("data", "0x")
    if tx.get("to") in ("", b""):
        tx["to"] = None
    access_list = tx.pop("access_list", None)
    out = wire(tx)
    if access_list is not None:
        out["accessList"] = [
            {"address": item["address"], "storageKeys": list(item.get("storage_keys", ()))} for item in access_list
        ]
    return out


def wire_block(block: dict[str, Any], full: bool) -> dict[str, Any]:
    block = dict(block)
    bloom = block.pop("logs_bloom", 0)
    block["miner"] = block.pop("coinbase", "0x" + "00" * 20)
    txs = block.pop("transactions", [])
    out = wire(block)
    out["logsBloom"] = _bloom_hex(bloom) if isinstance(bloom, int) else bloom
    out["transactions"] = [wire_tx(t) if isinstance(t, dict) else t for t in txs] if full else [
        t["hash"] if isinstance(t, dict) else t for t in txs
    ]
    return out


def wire_receipt(receipt: dict[str, Any]) -> dict[str, Any]:
    from eth_bloom import BloomFilter

    receipt = dict(receipt)
    receipt.pop("state_root", None)
    logs = receipt.pop("logs", [])
    if receipt.get("to") in ("", b""):
        receipt["to"] = None
    bloom = BloomFilter()
    for entry in logs:
        bloom.add(bytes.fromhex(entry["address"][2:]))
        for topic in entry["topics"]:
            bloom.add(bytes.fromhex(topic[2:]))
    out = wire(receipt)
    out["logs"] = [wire_log(e) for e in logs]
    out["logsBloom"] = _bloom_hex(int(bloom))
    return out
