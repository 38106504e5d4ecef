"""Corrected media: the plan decided before anything is written, and what writing it did."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .maps import TimeMap


@dataclass(frozen=True)
class ApplyPlan:
    """What ``apply`` will write, decided before anything is written (``--dry-run`` prints it)."""

    ref: str
    other: str
    output: str
    mode: str  # "video" or "shift"
    offset_s: float
    drift_ppm: float
    other_stream: int  # absolute stream index in OTHER
    ref_stream: int | None  # REF's audio stream (absolute) the alignment used; --verify compares with it
    video_stream: int | None  # REF's video stream copied (video mode)
    keep_streams: tuple[int, ...]  # REF's audio streams copied after the new audio (--keep-original-audio)
    start_s: float  # OUT's timeline: REF's start ...
    end_s: float  # ... and end
    out_format: str
    audio_codec: str  # FFmpeg encoder, or "copy"
    rate: int
    channels: int
    resample: bool

    @property
    def time_map(self) -> TimeMap:
        """The plan's map from REF time to OTHER time."""
        return TimeMap(self.offset_s, self.drift_ppm)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["keep_streams"] = list(self.keep_streams)
        return d


@dataclass(frozen=True)
class ApplyStats:
    """What was written."""

    video_packets: int
    copied_audio_packets: int
    audio_samples: int
    other_t0: float
    first_audio_s: float | None  # REF time of OUT's first audio sample (copy: of its first packet)
