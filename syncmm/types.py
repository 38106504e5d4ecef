"""Frozen dataclasses passed between the layers (media -> features -> align -> report)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from .exceptions import SyncmmError


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
    warnings: tuple[str, ...] = ()  # what decoding found wrong (damaged packets, truncation)

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


@runtime_checkable
class SampleSource(Protocol):
    """Mono samples the estimators read by slicing: a NumPy array, or a decoded file whose samples stay in a
    worker process (:class:`syncmm.media.pool.DecodedAudio`; reading it can raise DecodeError).

    Slicing rather than a ``read(a, b)`` method, so that a plain ``np.ndarray`` is a SampleSource as it is.
    """

    def __len__(self) -> int: ...

    def __getitem__(self, sl: slice, /) -> np.ndarray: ...


@dataclass(frozen=True)
class DTWResult:
    """One DTW: the path (K, 2) of (REF frame, OTHER frame), its accumulated cost and the cells computed."""

    path: np.ndarray
    cost: float
    cells: int


@dataclass(frozen=True, eq=False)
class WarpPath:
    """A monotonic time map between REF and OTHER found by DTW.

    ``path`` is a (K, 2) int array of (REF frame, OTHER frame) pairs at ``rate`` frames/s; frame ``i`` of
    REF is at ``ref_t0 + i / rate`` (likewise OTHER).
    """

    path: np.ndarray
    rate: float
    cost: float
    n_ref: int
    n_other: int
    cells: int
    ref_t0: float = 0.0
    other_t0: float = 0.0
    scales: tuple[int, ...] = field(default=())
    chroma_shift: int = 0  # OTHER's pitch classes were rolled by this many bins (transposition)
    #: mean local cost along the path / mean local cost of the same REF frames against OTHER frames moved away
    #: from the path (1 = no better than chance; :func:`warp` refuses paths above ``max_contrast``)
    contrast: float = 0.0

    def _curve(self) -> tuple[np.ndarray, np.ndarray]:
        i, j = self.path[:, 0], self.path[:, 1]
        ui, start = np.unique(i, return_index=True)
        sums = np.add.reduceat(j.astype(np.float64), start)
        counts = np.diff(np.append(start, len(j)))
        return ui.astype(np.float64), sums / counts

    def transfer(self, times_in_ref) -> np.ndarray:
        """Map REF times (s) to OTHER times (s), interpolating between frames; vectorised."""
        ui, jm = self._curve()
        t = (np.asarray(times_in_ref, np.float64) - self.ref_t0) * self.rate
        return np.interp(t, ui, jm) / self.rate + self.other_t0

    def inverse(self, times_in_other) -> np.ndarray:
        """Map OTHER times (s) to REF times (s): the same path read the other way."""
        flipped = WarpPath(self.path[:, ::-1].copy(), self.rate, self.cost, self.n_other, self.n_ref, self.cells,
                           self.other_t0, self.ref_t0)  # fmt: skip
        return flipped.transfer(times_in_other)

    def other_time(self, t_ref) -> np.ndarray:
        """OTHER's time of REF time ``t_ref``: :meth:`transfer`, named as :class:`TimeMap` names it, so that
        the code that places OTHER on REF's timeline takes either map."""
        return self.transfer(t_ref)

    def ref_time(self, t_other) -> np.ndarray:
        """REF's time of OTHER time ``t_other``: :meth:`inverse`, as :class:`TimeMap` names it."""
        return self.inverse(t_other)

    def summary(self, window_s: float = 5.0) -> dict[str, float]:
        """Mean tempo ratio (OTHER s per REF s), 5th/95th percentile of the local ratio over ``window_s``, mean cost."""
        ui, jm = self._curve()
        span = max(ui[-1] - ui[0], 1.0)
        mean_ratio = (jm[-1] - jm[0]) / span
        w = max(int(window_s * self.rate), 2)
        if len(ui) > w:
            grid = np.arange(ui[0], ui[-1] - w + 1, max(w // 4, 1))
            loc = (np.interp(grid + w, ui, jm) - np.interp(grid, ui, jm)) / w
            lo, hi = np.percentile(loc, [5, 95])
        else:
            lo = hi = mean_ratio
        return {
            "tempo_ratio": float(mean_ratio),
            "local_ratio_p5": float(lo),
            "local_ratio_p95": float(hi),
            "mean_cost": float(self.cost / max(len(self.path), 1)),
            "ref_start_s": float(ui[0] / self.rate + self.ref_t0),
            "ref_end_s": float(ui[-1] / self.rate + self.ref_t0),
            "other_start_s": float(jm[0] / self.rate + self.other_t0),
            "other_end_s": float(jm[-1] / self.rate + self.other_t0),
        }


@dataclass(frozen=True)
class Check:
    """One check of a file or a job, as a JUnit test case: ``passed`` True, False (a failure: the check ran
    and failed) or None (an error: there was nothing to check); ``message`` one line, ``detail`` the body."""

    name: str
    passed: bool | None
    message: str = ""
    detail: str = ""


@dataclass(frozen=True)
class TimeMap:
    """The drift model every report, writer and test uses: ``t_OTHER = (t_REF - offset_s) * (1 + drift_ppm * 1e-6)``.

    ``drift_ppm > 0``: OTHER's clock runs fast.  Works on floats and NumPy arrays alike.
    """

    offset_s: float
    drift_ppm: float = 0.0

    @property
    def ratio(self) -> float:
        """OTHER seconds per REF second."""
        return 1 + self.drift_ppm * 1e-6

    def other_time(self, t_ref):
        """OTHER's time of REF time ``t_ref``."""
        return (t_ref - self.offset_s) * self.ratio

    def ref_time(self, t_other):
        """REF's time of OTHER time ``t_other``."""
        return self.offset_s + t_other / self.ratio


@dataclass(frozen=True)
class PairOffset:
    """One pairwise estimate: ``offset_s`` = ``t_a - t_b`` of the same event (file ``b`` aligned to ``a``)."""

    a: int
    b: int
    offset_s: float
    confidence: float


@dataclass(frozen=True)
class Timeline:
    """Every file on the timeline of file ``ref``: per file, ``starts_s`` the time on REF's timeline of its time
    zero (None: no chain of pairs links it to REF; ``starts_s[ref] == 0``) and ``hops`` the fewest pairs linking
    it to REF; per pair found, whether the fit ``used`` it (False: contradicted by the others and dropped) and
    its residual ``offset_s - (start_b - start_a)`` (NaN when either file is unplaced).
    """

    ref: int
    starts_s: tuple[float | None, ...]
    pairs: tuple[PairOffset, ...]
    used: tuple[bool, ...]
    residuals_s: tuple[float, ...]
    hops: tuple[int | None, ...]


@dataclass(frozen=True)
class MulticamResult:
    """Every file placed on REF's timeline (``paths[0]``), with the pairwise results behind it.

    ``errors[i]`` is the error that kept file ``i`` from being decoded (None if it was decoded);
    ``results`` holds the aligned pairs ``(a, b, SyncResult)`` with ``a < b``.
    """

    paths: tuple[str, ...]
    infos: tuple[MediaInfo | None, ...]
    errors: tuple[SyncmmError | None, ...]
    results: tuple[tuple[int, int, SyncResult], ...]
    timeline: Timeline
