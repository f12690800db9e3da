"""The reference protocol (SPEC sections 5-7) in the development PXE: contracts, state, reads, transactions, prices, demo."""
