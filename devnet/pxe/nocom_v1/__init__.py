"""nocom-v1 (the deployed jp4g/nocom-v1 contracts, SPEC section 10) in the development PXE."""
