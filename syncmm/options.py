"""Ranges of the option values shared by the command line and batch manifests: one rule per option."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .exceptions import ParameterError

#: Calibrated on unrelated pairs (real radio excerpts, generated noise/speech-like pairs) against true pairs
#: (see tests/unit/test_xcorr.py and README "Confidence"): unrelated content stays below this.
DEFAULT_MIN_CONFIDENCE = 0.30
METHODS = ("xcorr", "gcc-phat", "coarse")

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


def _opt(default: Any, kind: Any, column: str | None = None, rule: str | None = None):
    """A field of :class:`AlignOptions`: its manifest column (default: the field's name), the column's kind
    (``"time"``, ``"bool"``, a type, or a tuple of choices) and its range rule in :data:`RULES`."""
    return field(default=default, metadata={"kind": kind, "column": column, "rule": rule})


@dataclass(frozen=True)
class AlignOptions:
    """How two recordings are aligned: the one list of align options.

    The library takes them as keywords (``syncmm.align(a, b, max_offset=30)``) or whole
    (``align(a, b, AlignOptions(max_offset=30))``); the batch manifest's option columns and their kinds are
    derived from these fields (:func:`manifest_columns`), and the command line builds one from its flags.
    """

    ref_stream: int | None = _opt(None, int, rule="ref_stream")  # audio stream of REF, counted from 0
    other_stream: int | None = _opt(None, int, rule="other_stream")  # audio stream of OTHER
    sr: int = _opt(16000, int, column="rate", rule="rate")  # analysis sample rate, Hz
    max_offset: float | None = _opt(None, "time", rule="max_offset")  # largest |offset| considered, s
    min_overlap: float | None = _opt(None, "time", rule="min_overlap")  # smallest overlap an offset may imply
    method: str = _opt("xcorr", METHODS)  # the fine stage
    fine_window: float = _opt(30.0, "time", column="window", rule="window")  # OTHER's seconds the fine stage reads
    min_confidence: float = _opt(DEFAULT_MIN_CONFIDENCE, float, rule="min_confidence")  # below: undecidable
    drift: bool | None = _opt(None, "bool")  # measure clock drift (default: overlap >= 60 s)
    allow_damaged: bool = _opt(False, "bool")  # use inputs that lost over 1 % of their audio

    @classmethod
    def of(cls, options: AlignOptions | None = None, **overrides: Any) -> AlignOptions:
        """``options`` (default: the defaults) with ``overrides`` replaced, checked.

        Raises
        ------
        TypeError
            An override that is no align option.
        ParameterError
            A value out of its range, or an unknown method.
        """
        o = dataclasses.replace(options or cls(), **overrides)
        return o.checked()

    def checked(self) -> AlignOptions:
        """Self, after checking every value against its rule (ParameterError names the option)."""
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.metadata["rule"] is not None:
                check_value(f.metadata["rule"], v, "--" + (f.metadata["column"] or f.name).replace("_", "-"))
            if isinstance(f.metadata["kind"], tuple) and v not in f.metadata["kind"]:
                raise ParameterError(f"--{f.name}: use {', '.join(f.metadata['kind'])}, not {v!r}")
        return self

    def keywords(self, *names: str) -> dict[str, Any]:
        """Some options as keywords (all without ``names``)."""
        return {n: getattr(self, n) for n in (names or [f.name for f in dataclasses.fields(self)])}


def manifest_columns() -> dict[str, tuple[str, Any]]:
    """Batch manifest column -> (AlignOptions field, kind), derived from :class:`AlignOptions`."""
    return {(f.metadata["column"] or f.name): (f.name, f.metadata["kind"]) for f in dataclasses.fields(AlignOptions)}
