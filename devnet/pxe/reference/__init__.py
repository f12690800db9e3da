"""The reference protocol (docs/money-math.md, reference) in the development PXE: contracts, state, reads, transactions, prices, demo."""
