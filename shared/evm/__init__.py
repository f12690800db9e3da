"""EVM layer of the product: JSON-RPC chain access, local-key transaction sending, the PriceOracle.

Modules: `chain` (Chain, TxSender, TxResult, TxReverted, TxFailed), `oracle` (asset_key,
OnChainPrice, PriceOracle, deploy_oracle, load_artifact), `provider` (the httpx web3 provider).
Local chains for development live in `devnet.chain`, which the product never imports.
"""
