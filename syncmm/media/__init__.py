"""The media layer: the only code that opens, decodes or writes media files (PyAV)."""

from .audio import load_audio
from .probe import probe

__all__ = ["load_audio", "probe"]
