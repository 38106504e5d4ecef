"""Self-test on the user's own recording: perturb it by known amounts, align, and measure the errors.

Each trial cuts an excerpt of REF at a random fractional start (the true offset), optionally runs it through a
clock that drifts, band-limits it, adds noise and re-encodes it (a callable supplied by the caller: the core
does no I/O), then every method estimates the offset.  The errors against the truth are summarised per method
with a recommendation, as perturbation studies in the alignment literature do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..exceptions import AlignmentError, ParameterError, SyncmmError
from ..synth import add_noise, drifted, lowpass
from ..types import Features, TimeMap
from .drift import offset_and_drift
from .xcorr import estimate_offset_features

METHODS = {"xcorr": "onset envelopes, then waveforms", "gcc-phat": "onset envelopes, then GCC-PHAT waveforms",
           "coarse": "onset envelopes only", "motion": "video motion energy (4x4 grid), no sound"}  # fmt: skip
CODECS = (None, "aac", "mp3", "opus")
MAX_REF_S = 600.0


@dataclass(frozen=True)
class Perturbation:
    """What one trial did to the excerpt: its true place ``start_s`` in REF (the offset to find), its length,
    clock drift, low-pass corner (None: none), signal-to-noise ratio (None: no noise) and codec (None: PCM)."""

    start_s: float
    duration_s: float
    drift_ppm: float
    lowpass_hz: float | None
    snr_db: float | None
    codec: str | None


@dataclass(frozen=True)
class TrialResult:
    """One method on one trial: ``error_s`` = estimate - truth (None when no reliable alignment was found)."""

    trial: int
    method: str
    offset_s: float | None
    error_s: float | None
    confidence: float | None
    failure: str | None = None


@dataclass(frozen=True)
class MethodSummary:
    """Accuracy of one method over all trials."""

    method: str
    trials: int
    aligned: int
    within_1ms: int
    within_1frame: int
    median_abs_error_s: float | None
    p95_abs_error_s: float | None
    median_confidence: float | None

    @property
    def features(self) -> str:
        """What the method aligns on, in words."""
        return METHODS[self.method]


@dataclass(frozen=True)
class SelftestResult:
    """Everything a self-test found; ``recommended`` is the method to use on this material."""

    duration_s: float
    sample_rate: int
    frame_s: float
    perturbations: tuple[Perturbation, ...]
    results: tuple[TrialResult, ...]
    summaries: tuple[MethodSummary, ...]
    recommended: str | None


def plan_trials(n: int, duration_s: float, rng: np.random.Generator) -> list[Perturbation]:
    """``n`` perturbations of a recording ``duration_s`` long: fractional starts, half of them with a drift of
    up to +-100 ppm, codecs in turn (PCM, AAC, MP3, Opus), a third band-limited to 3.4 kHz, noise at 30, 20
    or 10 dB SNR in three trials out of four."""
    if n < 1:
        raise ParameterError("--trials must be >= 1")
    length = float(np.clip(0.5 * duration_s, 3.0, 60.0))
    if duration_s < length + 0.5:
        raise AlignmentError(f"the recording is too short for a self-test ({duration_s:.1f} s; needs >= 3.5 s)")
    out = []
    for i in range(n):
        start = float(rng.uniform(0.0, duration_s - length - 0.2))
        drift = float(rng.uniform(-100.0, 100.0)) if i % 2 else 0.0
        out.append(
            Perturbation(
                start_s=start, duration_s=length, drift_ppm=drift, lowpass_hz=3400.0 if i % 3 == 2 else None,
                snr_db=(None, 30.0, 20.0, 10.0)[i % 4], codec=CODECS[(i // 2) % len(CODECS)],
            )
        )  # fmt: skip
    return out


def perturb(y: np.ndarray, sr: int, p: Perturbation, rng: np.random.Generator) -> np.ndarray:
    """The excerpt of ``y`` that ``p`` describes, before re-encoding (``t_OTHER = (t_REF - start) (1 + d)``)."""
    z = drifted(y, sr, p.start_s, p.drift_ppm, p.duration_s).astype(np.float32)
    if p.lowpass_hz is not None:
        z = lowpass(z, sr, p.lowpass_hz)
    if p.snr_db is not None:
        z = add_noise(z, p.snr_db, rng)
    peak = float(np.max(np.abs(z))) if len(z) else 0.0
    return z / peak * 0.9 if peak > 0.99 else z


def perturb_features(F: Features, p: Perturbation, rng: np.random.Generator) -> Features:
    """The excerpt of feature sequence ``F`` that ``p`` describes (linear interpolation between frames, drift,
    Gaussian noise at ``p.snr_db`` of each channel's spread); low-pass and codec do not apply to pictures."""
    pos = TimeMap(p.start_s, p.drift_ppm).ref_time(np.arange(int(p.duration_s * F.rate)) / F.rate) * F.rate
    k = np.clip(np.floor(pos).astype(int), 0, F.X.shape[1] - 2)
    f = (pos - k)[None, :]
    X = F.X[:, k] * (1 - f) + F.X[:, k + 1] * f
    if p.snr_db is not None:
        X = X + rng.normal(size=X.shape) * X.std(axis=1, keepdims=True) * 10 ** (-p.snr_db / 20)
    return Features(X=X.astype(np.float32), rate=F.rate, t0=0.0, names=F.names)


def _one(y, z, sr, method) -> tuple[float, float]:
    est, dr = offset_and_drift(y, z, sr, method=method)  # as `syncmm align` does by default
    return (dr.offset_s if dr is not None else est.offset_s), est.confidence


def summarize(results: Sequence[TrialResult], method: str, n: int, frame_s: float) -> MethodSummary:
    """Counts and error percentiles of ``method`` over ``n`` trials (failures count as not within)."""
    mine = [r for r in results if r.method == method]
    err = np.array([abs(r.error_s) for r in mine if r.error_s is not None])
    conf = [r.confidence for r in mine if r.confidence is not None]
    return MethodSummary(
        method=method, trials=n, aligned=len(err), within_1ms=int((err <= 1e-3).sum()),
        within_1frame=int((err <= frame_s / 2).sum()),
        median_abs_error_s=float(np.median(err)) if len(err) else None,
        p95_abs_error_s=float(np.percentile(err, 95)) if len(err) else None,
        median_confidence=float(np.median(conf)) if conf else None,
    )  # fmt: skip


def recommend(summaries: Sequence[MethodSummary]) -> str | None:
    """The method with the most trials within 1 ms; ties go to the smaller 95th-percentile error."""
    ok = [s for s in summaries if s.aligned]
    if not ok:
        return None
    return min(ok, key=lambda s: (-s.within_1ms, -s.within_1frame, s.p95_abs_error_s or np.inf)).method


def selftest(
    y: np.ndarray | None,
    sr: int,
    *,
    trials: int = 20,
    methods: Sequence[str] = tuple(METHODS),
    frame_s: float = 0.04,
    reencode: Callable[[np.ndarray, int, str], np.ndarray] | None = None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    motion: Features | None = None,
) -> SelftestResult:
    """Measure how reliably each method aligns perturbed excerpts of ``y`` back onto ``y``.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)] or None
        The recording (REF), mono (None for a silent video: ``motion`` alone).  Only its first
        :data:`MAX_REF_S` seconds are used.
    sr : int
        Its sample rate.
    trials : int
        Number of perturbed excerpts.
    methods : sequence of str
        Methods to compare (keys of :data:`METHODS`).
    frame_s : float
        A video frame, for the "within 1 frame" count (within half a frame: the frame is right).
    reencode : callable, optional
        ``reencode(samples, sr, codec) -> samples`` encodes and decodes (the media layer); without it, trials
        that ask for a codec stay PCM.
    seed : int
        Seeds the perturbations and the noise: the same seed gives the same trials.
    progress : callable, optional
        ``progress(done, total)`` after each trial.
    motion : Features, optional
        The recording's motion features (:func:`~syncmm.features.visual.motion_features`, ``t0`` at its first
        frame), for the ``"motion"`` method: the same trials are cut from them (shift and drift; noise added
        to the features; the pictures are not re-encoded).

    Returns
    -------
    SelftestResult
    """
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise ParameterError(f"unknown method(s) {', '.join(bad) or '(none)'}: use {', '.join(METHODS)}")
    if "motion" in methods and motion is None:
        raise ParameterError("the motion method needs the recording's video (motion features)")
    if motion is not None:
        motion = Features(X=motion.X, rate=motion.rate, t0=0.0, names=motion.names)  # truth = start on its grid
    audio = [m for m in methods if m != "motion"]
    if y is None:
        if audio:
            raise ParameterError(f"{', '.join(audio)} need(s) the recording's sound")
        duration = min(motion.X.shape[1] / motion.rate, MAX_REF_S)  # type: ignore[union-attr]
    else:
        y = np.asarray(y, np.float32)
        if y.ndim != 1 or not np.isfinite(y).all():
            raise ParameterError("the recording must be one finite channel")
        y = y[: int(MAX_REF_S * sr)]
        if audio and float(np.sqrt(np.mean(y.astype(np.float64) ** 2))) < 1e-4:
            raise AlignmentError("the recording is silent: nothing to align")
        duration = len(y) / sr
    rng = np.random.default_rng(seed)
    plan = plan_trials(trials, duration, rng)
    if reencode is None:
        plan = [Perturbation(p.start_s, p.duration_s, p.drift_ppm, p.lowpass_hz, p.snr_db, None) for p in plan]
    results: list[TrialResult] = []
    for i, p in enumerate(plan):
        z = perturb(y, sr, p, rng) if audio else None
        if z is not None and p.codec is not None and reencode is not None:
            z = reencode(z, sr, p.codec)
        zm = perturb_features(motion, p, rng) if "motion" in methods else None
        for m in methods:
            try:
                if m == "motion":
                    if p.start_s + p.duration_s > motion.X.shape[1] / motion.rate:
                        raise ParameterError("the video is shorter than the sound here")
                    e = estimate_offset_features(motion, zm, method="motion-xcorr")
                    off, conf = e.offset_s, e.confidence
                else:
                    off, conf = _one(y, z, sr, m)
            except SyncmmError as e:
                results.append(TrialResult(i, m, None, None, getattr(getattr(e, "estimate", None), "confidence", None),
                                           str(e)))  # fmt: skip
                continue
            results.append(TrialResult(i, m, off, off - p.start_s, conf))
        if progress is not None:
            progress(i + 1, len(plan))
    sums = tuple(summarize(results, m, len(plan), frame_s) for m in methods)
    return SelftestResult(duration, sr, frame_s, tuple(plan), tuple(results), sums, recommend(sums))
