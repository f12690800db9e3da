"""price-service: polls prices, pushes significant moves to the PriceOracle, notifies the engine."""
