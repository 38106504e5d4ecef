"""Signal-processing helpers shared by the layers (no I/O)."""
