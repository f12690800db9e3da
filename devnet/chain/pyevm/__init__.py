"""A local EVM chain for when anvil is unavailable: py-evm (eth-tester) served over HTTP JSON-RPC.

    python -m devnet.chain.pyevm --port 8545

Everything else talks to it through `RPC_URL` exactly as it talks to anvil, so it only has
to answer the standard `eth_*` methods the way a node does. What it takes care of:

- the same chain id (31337) and pre-funded development accounts (10 000 ETH each) as anvil;
- auto-mining: every accepted transaction is mined at once in its own block (`evm_setAutomine`
  false queues them until `evm_mine`, as on anvil);
- wall-clock block timestamps, because consumers compare the oracle's `updatedAt` with the
  current time. eth-tester on its own stamps a block with the time its *previous* block was
  mined, and py-evm insists on strictly increasing timestamps, so a burst of transactions would
  push the chain's clock ahead of the wall clock (one second per block). Like anvil, the dev
  chain lets blocks mined within the same second share its timestamp instead.
  `evm_increaseTime` / `evm_setNextBlockTimestamp` work as on anvil;
- reverts reported like anvil/geth: a JSON-RPC error `{"code": 3, "message": "execution
  reverted: <reason>", "data": "0x08c379a0..."}` from `eth_call` / `eth_estimateGas`, and a
  mined receipt with `status` 0 for a reverting transaction sent with an explicit gas limit;
- `eth_call` / `eth_estimateGas` without `from` run as the first funded account (py-evm checks
  the sender's balance even for calls);
- EIP-1559: `eth_maxPriorityFeePerGas` is 1 gwei, `eth_feeHistory` and `baseFeePerGas` are real;
- with auto-mining off (`--no-mining`, `--block-time`), a pool answering like geth's
  (`devnet.chain.pool`); a nonce gap is refused ("nonce too high"), not queued.

It is a development stand-in (one lock around one in-memory chain), not a node.

Where each part lives:

- `dev_chain`: `DevChain`, the JSON-RPC dispatcher over all the method groups below;
- `chain_core`: the eth-tester chain itself, wall-clock block timestamps, what every group shares;
- `rpc_node_and_fees`, `rpc_state_and_calls`, `rpc_gas_estimation`, `rpc_blocks_and_logs`,
  `rpc_transactions`, `rpc_mining_clock_snapshots`: the `rpc_*` method handlers, one group each;
- `request_parsing` (params in), `wire_format` (results out), `reverts`, `rpc_error`;
- `http_server`: the HTTP JSON-RPC endpoint; `__main__`: the command line above.
"""
