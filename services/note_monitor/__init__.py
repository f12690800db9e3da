"""note-monitor: keeps registered escrows, reads their notes through the PXE, serves positions."""
