"""Frozen dataclasses passed between the layers (media -> features -> alignment -> jobs -> report), and the
SampleSource protocol.  Import them from here (``from syncmm.types import SyncResult``); the submodules only
group them: media.py, offsets.py, maps.py, results.py, apply.py, lipsync.py."""

from __future__ import annotations

from .apply import ApplyPlan, ApplyStats
from .lipsync import LipSegment, LipSyncEstimate
from .maps import DTWResult, TimeMap, WarpPath
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
from .results import Check, MulticamResult, PairOffset, Timeline

__all__ = [
    "ApplyPlan", "ApplyStats", "Check", "CorrelationCurve", "DTWResult", "Discontinuity", "DriftEstimate",
    "Features", "LipSegment", "LipSyncEstimate", "MediaInfo", "MulticamResult", "OffsetEstimate", "PairOffset",
    "SampleSource", "Segment", "Signal", "StreamInfo", "SyncResult", "TimeMap", "Timeline", "WarpPath",
]  # fmt: skip
