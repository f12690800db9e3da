"""The price service's EVM writing stack: chain access, local-key sending that cannot get stuck, the PriceOracle.

Modules:
- `chain`: `Chain` (one chain behind one or more endpoints: `RPC_URL` comma list, over
  `shared.evm.endpoints.EndpointPool`; `current_endpoint` masked, `balance`, `nonce`); `provider`:
  the web3 provider over the pool.
- `sender`: `TxSender` (EIP-1559 under `max_fee_per_gas`; replacement after `replace_after` with
  ≥ 12.5 % bumps and a `rebuild` callback; a cancel when given up; `resolve_pending()` at start;
  `stats` for metrics), over `nonce_watch` (`NonceWatch` sees one nonce through), `fees`, `nonces`
  (one manager per account per chain id) and `tx` (TxResult, SenderStats).
- `errors`: `TxReverted`, `TxFailed`, `TxCancelled` (given up, its cancel mined: nothing landed).
- `oracle`: `PriceOracle` (`set_prices({symbol: (price, observedAt)}, refresh=...)`, reads, logs),
  `deploy_oracle`. Reading alone is `shared.feeds.evm_oracle.OracleReader`, which the engine uses too.
Local chains for development live in `devnet.chain`, which the product never imports.
"""
