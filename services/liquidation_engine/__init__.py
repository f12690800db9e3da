"""liquidation-engine: reacts to price updates and liquidates unhealthy positions through the PXE."""
