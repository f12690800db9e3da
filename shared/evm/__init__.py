"""EVM JSON-RPC transport shared by the price service (writes) and the liquidation engine (reads)."""
