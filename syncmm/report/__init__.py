"""The report layer: result dicts (versioned schema) and their text/JSON/CSV renderings."""

from .schema import SCHEMA, error_entry, result_to_dict
from .writers import FORMATS, render, write_atomic

__all__ = ["FORMATS", "SCHEMA", "error_entry", "render", "result_to_dict", "write_atomic"]
