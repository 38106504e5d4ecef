"""Feature extraction on NumPy arrays (no I/O)."""

from .audio import onset_bands

__all__ = ["onset_bands"]
