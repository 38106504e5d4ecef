"""Offsets between two recordings: features, the estimate, drift, and the file-level result."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .media import MediaInfo


@dataclass(frozen=True, eq=False)
class Features:
    """Feature matrix ``X`` of shape ``(d, t)`` at ``rate`` frames/s; frame ``k`` is at ``t0 + k / rate``."""

    X: np.ndarray
    rate: float
    t0: float = 0.0
    names: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class CorrelationCurve:
    """The coarse correlation over every admissible offset (for plots): ``offsets_s`` (REF - OTHER, s) and
    ``z``, the robust z-score of each (``-inf`` where the overlap is too short); ``chance_z`` is the largest
    z-score chance alone is expected to reach over this many offsets."""

    offsets_s: np.ndarray
    z: np.ndarray
    chance_z: float


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
    curve: CorrelationCurve | None = field(default=None, compare=False, repr=False)
    inverted: bool = False  # OTHER's waveform is REF's with the opposite polarity

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
    drift: DriftEstimate | None = None
    input_warnings: tuple[str, ...] = ()  # what decoding found wrong in REF or OTHER

    @property
    def offset_s(self) -> float:
        """``t_REF - t_OTHER`` at OTHER's time zero (from the drift fit when drift was measured)."""
        return self.drift.offset_s if self.drift is not None else self.estimate.offset_s

    @property
    def drift_ppm(self) -> float:
        return self.drift.drift_ppm if self.drift is not None else 0.0

    @property
    def confidence(self) -> float:
        return self.estimate.confidence


@dataclass(frozen=True)
class Segment:
    """One window of the drift measurement.

    ``ref_time_s`` is the window's centre on REF's timeline, ``offset_s`` the local ``t_REF - t_OTHER``,
    ``confidence`` the window's peak prominence, ``correlation`` its waveform correlation (None when the
    fine stage was not used), ``used`` whether the drift fit used it.
    """

    ref_time_s: float
    offset_s: float
    confidence: float
    correlation: float | None
    used: bool = True


@dataclass(frozen=True)
class Discontinuity:
    """A jump of the offset: OTHER's continuity breaks at REF time ``ref_time_s`` and resumes, shifted by
    ``jump_s`` (offset after minus offset before), at REF time ``ref_resume_s``."""

    ref_time_s: float
    jump_s: float
    ref_resume_s: float


@dataclass(frozen=True)
class DriftEstimate:
    """Offset and clock drift fitted to windowed offsets.

    With drift, ``t_OTHER = (t_REF - offset_s) * (1 + drift_ppm * 1e-6)``: ``offset_s`` is the offset at
    OTHER's time zero, and positive ``drift_ppm`` means OTHER's clock runs fast.
    """

    offset_s: float
    drift_ppm: float
    residual_rms_s: float
    residual_max_s: float
    segments: tuple[Segment, ...]
    discontinuities: tuple[Discontinuity, ...]
    fit_span: tuple[float, float]  # REF times of the first and last window the fit used
    n_used: int

    def offset_at(self, ref_time_s: float) -> float:
        """The local offset ``t_REF - t_OTHER`` at REF time ``ref_time_s``."""
        d = self.drift_ppm * 1e-6
        return ref_time_s - (ref_time_s - self.offset_s) * (1 + d)
