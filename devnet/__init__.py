"""Development tools, apart from the product: the development PXE, local EVM chains and the local run.

Nothing under `services/` or `shared/` imports this package; tests, benchmarks and `make run` do.
"""
