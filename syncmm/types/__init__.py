"""Frozen dataclasses passed between the layers (media -> features -> alignment -> jobs -> report), and the
SampleSource protocol.  Import them from here (``from syncmm.types import SyncResult``); the submodules only
group them: media.py, offsets.py, maps.py, results.py, apply.py, lipsync.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .media import MediaInfo, SampleSource, Signal, StreamInfo
from .offsets import (
    CorrelationCurve,
    Discontinuity,
    DriftEstimate,
    Features,
    OffsetEstimate,
    Segment,
    SyncResult,
)  # fmt: skip

if TYPE_CHECKING:
    from .apply import ApplyPlan, ApplyStats
    from .lipsync import LipSegment, LipSyncEstimate
    from .maps import DTWResult, TimeMap, WarpPath
    from .results import Check, MulticamResult, PairOffset, Timeline

#: The other submodules are imported when one of their names is first asked for (``align`` needs only
#: results.py of them; creating the dataclasses of the three others took ~8 ms of every run).
_LAZY = {
    "ApplyPlan": "apply", "ApplyStats": "apply", "LipSegment": "lipsync", "LipSyncEstimate": "lipsync",
    "DTWResult": "maps", "TimeMap": "maps", "WarpPath": "maps", "Check": "results", "MulticamResult": "results",
    "PairOffset": "results", "Timeline": "results",
}  # fmt: skip


def __getattr__(name: str) -> type:
    """A name of the lazily imported submodules (PEP 562), kept here once imported."""
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ApplyPlan", "ApplyStats", "Check", "CorrelationCurve", "DTWResult", "Discontinuity", "DriftEstimate",
    "Features", "LipSegment", "LipSyncEstimate", "MediaInfo", "MulticamResult", "OffsetEstimate", "PairOffset",
    "SampleSource", "Segment", "Signal", "StreamInfo", "SyncResult", "TimeMap", "Timeline", "WarpPath",
]  # fmt: skip
