"""Local EVM chains for development and tests: anvil from npm, else the py-evm chain in `pyevm`."""
