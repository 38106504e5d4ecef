"""Ranges of the option values shared by the command line and batch manifests: one rule per option."""

from __future__ import annotations

import math
from collections.abc import Callable

from .exceptions import ParameterError

#: option -> (test, what a valid value is).  Names are the keywords/manifest columns; the CLI shows ``--max-offset``.
RULES: dict[str, tuple[Callable[[float], bool], str]] = {
    "max_offset": (lambda v: 0 <= v <= 86400, "a time from 0 to 24 h"),
    "min_overlap": (lambda v: 0 <= v <= 86400, "a time from 0 to 24 h"),
    "window": (lambda v: 0.5 <= v <= 3600, "a time from 0.5 s to 1 h"),
    "rate": (lambda v: 4000 <= v <= 192000, "a rate from 4000 to 192000 Hz"),
    "min_confidence": (lambda v: 0 <= v <= 1, "a number from 0 to 1"),
    "tolerance": (lambda v: 0 <= v <= 86400, "a time >= 0"),
    "tolerance_s": (lambda v: 0 <= v <= 86400, "a time >= 0"),
    "expect": (lambda v: abs(v) <= 86400 * 7, "a time within a week"),
    "expected_offset_s": (lambda v: abs(v) <= 86400 * 7, "a time within a week"),
    "ref_stream": (lambda v: 0 <= v < 1000, "a stream number >= 0"),
    "other_stream": (lambda v: 0 <= v < 1000, "a stream number >= 0"),
    "stream": (lambda v: 0 <= v < 1000, "a stream number >= 0"),
    "band": (lambda v: 0 <= v <= 3600, "a time from 0 to 1 h"),
    "feature_rate": (lambda v: 1 <= v <= 1000, "a frame rate from 1 to 1000 per second"),
    "seed": (lambda v: 0 <= v < 2**63, "a whole number >= 0"),
    "jobs": (lambda v: 0 <= v <= 4096, "a count >= 0 (0 = one per core)"),
}


def check_value(name: str, value: float | int | None, shown: str | None = None) -> float | int | None:
    """Return ``value`` if it is finite and in the range :data:`RULES` gives ``name``; None passes.

    Raises
    ------
    ParameterError
        NaN, infinite or out of range; the message names ``shown`` (default ``--name-with-dashes``).
    """
    if value is None:
        return None
    test, what = RULES[name]
    label = shown or "--" + name.replace("_", "-")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not test(value):
        raise ParameterError(f"{label}: {value!r} is out of range; use {what}")
    return value
