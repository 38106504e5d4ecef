"""Frozen dataclasses passed between the layers (media -> features -> align -> report)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class StreamInfo:
    """One stream of a media file, as probed."""

    index: int
    type: str
    codec: str
    start_time_s: float | None
    duration_s: float | None
    sample_rate: int | None = None
    channels: int | None = None
    frame_rate: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class MediaInfo:
    """What a file holds: container, duration and streams."""

    path: str
    format: str
    duration_s: float | None
    start_time_s: float | None
    size_bytes: int
    streams: tuple[StreamInfo, ...]

    @property
    def audio_streams(self) -> tuple[StreamInfo, ...]:
        return tuple(s for s in self.streams if s.type == "audio")

    @property
    def video_streams(self) -> tuple[StreamInfo, ...]:
        return tuple(s for s in self.streams if s.type == "video")


@dataclass(frozen=True, eq=False)
class Signal:
    """Mono audio ``y`` (float32, shape ``(n,)``) at ``sr`` Hz whose first sample is at ``t0`` seconds.

    ``t0`` is on the file's own timeline (stream start time, priming removed), so that the time of
    sample ``i`` is ``t0 + i / sr``.
    """

    y: np.ndarray
    sr: int
    t0: float = 0.0
    source: str | None = None
    stream_index: int | None = None
    native_rate: int | None = None
    channels: int | None = None
    codec: str | None = None

    @property
    def duration_s(self) -> float:
        return len(self.y) / self.sr


@dataclass(frozen=True, eq=False)
class Features:
    """Feature matrix ``X`` of shape ``(d, t)`` at ``rate`` frames/s; frame ``k`` is at ``t0 + k / rate``."""

    X: np.ndarray
    rate: float
    t0: float = 0.0
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class OffsetEstimate:
    """Result of offset estimation between REF and OTHER.

    Attributes
    ----------
    offset_s : float
        ``t_REF - t_OTHER`` of the same event, in seconds (positive: delay OTHER by this much).
    offset_samples : float
        The same at ``sample_rate`` (sub-sample).
    sample_rate : int
        Analysis rate the estimate was made at.
    confidence : float
        0..1; from the prominence of the correlation peak over the best peak outside its main lobe.
    method : str
        Stages used, e.g. ``"onset-xcorr+waveform-xcorr"``.
    coarse_offset_s : float
        Estimate of the coarse (onset envelope) stage.
    fine_correlation : float | None
        Normalised waveform correlation at the fine peak (None when the fine stage was not used).
    peak_score, runner_up_score : float
        Robust z-scores of the coarse peak and of the best peak outside its main lobe.
    runner_up_offset_s : float | None
        Offset of that runner-up peak.
    overlap : tuple[float, float, float, float]
        ``(ref_start, ref_end, other_start, other_end)`` of the overlapping part, each on its file's timeline.
    """

    offset_s: float
    offset_samples: float
    sample_rate: int
    confidence: float
    method: str
    coarse_offset_s: float
    fine_correlation: float | None
    peak_score: float
    runner_up_score: float
    runner_up_offset_s: float | None
    overlap: tuple[float, float, float, float]
    features: tuple[str, ...] = ("onset",)
    warnings: tuple[str, ...] = field(default=())

    @property
    def overlap_s(self) -> float:
        return max(0.0, self.overlap[1] - self.overlap[0])


@dataclass(frozen=True)
class SyncResult:
    """Alignment of one OTHER file to a REF file."""

    ref: MediaInfo
    other: MediaInfo
    ref_stream: int
    other_stream: int
    estimate: OffsetEstimate
    ref_t0: float
    other_t0: float
    ref_signal_duration_s: float
    other_signal_duration_s: float

    @property
    def offset_s(self) -> float:
        return self.estimate.offset_s

    @property
    def confidence(self) -> float:
        return self.estimate.confidence
