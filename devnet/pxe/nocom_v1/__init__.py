"""nocom-v1 (the deployed jp4g/nocom-v1 contracts, docs/money-math.md nocom-v1) in the development PXE."""
