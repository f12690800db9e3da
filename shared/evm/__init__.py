"""EVM layer of the product: JSON-RPC chain access, local-key transaction sending, the PriceOracle.

Modules:
- `chain`: `Chain` (one chain behind one or more endpoints: `RPC_URL` comma list = failover order;
  `current_endpoint` masked, `balance`, `nonce`), re-exporting the sender and the errors.
- `endpoints`: `EndpointPool` (failover on transport error, timeout, 5xx/429 and lag; re-probing),
  `mask_url`. `provider`: the web3 provider over the pool.
- `sender`: `TxSender` (EIP-1559 under `max_fee_per_gas`; replacement after `replace_after` with
  ≥ 12.5 % bumps and a `rebuild` callback; a cancel when given up; `resolve_pending()` at start;
  `stats` for metrics), over `flight` (one nonce seen through), `fees`, `nonces` (one manager per
  account per chain id) and `tx` (TxResult, SenderStats).
- `errors`: `TxReverted`, `TxFailed`, `TxCancelled` (given up, its cancel mined: nothing landed).
- `oracle`: `PriceOracle` (`set_prices({symbol: (price, observedAt)}, refresh=...)`, reads, logs),
  `deploy_oracle`; `oracle_reader`: `OracleReader`, the one batched getPrice read path.
Local chains for development live in `devnet.chain`, which the product never imports.
"""
