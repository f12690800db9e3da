"""EVM layer: JSON-RPC chain access, local-key transaction sending, the PriceOracle, local chains.

Modules: `chain` (Chain, TxSender, TxResult, TxReverted, TxFailed), `oracle` (asset_key,
OnChainPrice, PriceOracle, deploy_oracle, load_artifact), `local` (start_local_chain,
LocalChain, ANVIL_DEV_KEYS) and `devchain` (the py-evm fallback chain, `python -m
shared.evm.devchain`). Import from the modules; this package imports nothing heavy itself.
"""
