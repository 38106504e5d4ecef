"""Offset estimation by cross-correlation, coarse to fine.

1. Coarse: FFT cross-correlation of multi-band onset envelopes (100 frames/s) over every admissible lag,
   normalised per lag by the energy in the overlap and scaled by the square root of the overlap length,
   so that a short partial overlap does not win by chance.
2. Fine: FFT cross-correlation of the waveforms (optionally GCC-PHAT weighted) in a window around the
   coarse peak, then Newton iterations on the band-limited (sinc-interpolated) correlation for a
   sub-sample peak.

Lags are ``i_ref - j_other`` in samples; ``offset_s = lag / sr + t0_ref - t0_other``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..exceptions import AlignmentError, ParameterError
from ..features.audio import OnsetBands, onset_bands
from ..options import DEFAULT_MIN_CONFIDENCE
from ..types import Features, OffsetEstimate, SampleSource
from .peaks import _chunked_peak, _curve, coarse_peak, fine_peak

MIN_DURATION_S = 0.5
#: OTHER longer than this is also searched in chunks of CHUNK_S (robust to clock drift).
LONG_S = 300.0
CHUNK_S = 120.0


@dataclass(frozen=True, eq=False)
class Prepared:
    """A validated signal's coarse features: what the coarse stage needs, small enough to pass around.

    Made by :func:`prepare` next to the decoder (possibly in another process); the waveform itself is
    only read again in a short window by the fine stage.
    """

    features: Features
    activity: np.ndarray
    n: int
    sr: int


def prepare(x: np.ndarray, sr: int, name: str = "signal", hop_s: float = 0.01, *,
            bands: OnsetBands | None = None) -> Prepared:  # fmt: skip
    """Validate a mono signal and compute its coarse (onset) features.

    Parameters
    ----------
    x : np.ndarray [shape=(n,)]
        Mono audio.
    sr : int
        Sample rate in Hz.
    name : str
        How error messages call it (``"REF"``, ``"OTHER"``).
    hop_s : float
        Feature hop in seconds.
    bands : OnsetBands, optional
        The features' computation, begun on the signal's start as it was decoded (made with ``sr`` and
        ``hop_s``; :class:`PrepareStream`).

    Returns
    -------
    Prepared

    Raises
    ------
    ParameterError
        Not 1-D, not numeric, NaN or infinite values.
    AlignmentError
        Shorter than 0.5 s, silent, or without onsets (a steady tone).
    """
    if sr <= 0:
        raise ParameterError("sample rate must be positive")
    x = np.asarray(x)
    if x.ndim != 1:
        raise ParameterError(f"{name} must be a 1-D mono signal, got shape {x.shape}")
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise ParameterError(f"{name} must be numeric")
    x = x.astype(np.float32, copy=False)
    if len(x) == 0:
        raise AlignmentError(f"{name} is empty: nothing to align on")
    peak = max(float(x.max()), -float(x.min()))  # NaN and inf propagate: one check for all three
    if not np.isfinite(peak):
        raise ParameterError(f"{name} contains NaN or infinite values")
    if len(x) < MIN_DURATION_S * sr:
        raise AlignmentError(
            f"{name} is too short to align ({len(x) / sr:.2f} s; at least {MIN_DURATION_S} s of content needed)"
        )
    if peak < 1e-5:
        raise AlignmentError(f"{name} is silent: nothing to align on")
    F, act = onset_bands(x, sr, hop_s=hop_s) if bands is None else bands.finish(x)
    if np.abs(F.X).max() < 1e-3 or not act.any():
        raise AlignmentError(f"{name} has no onsets (a steady tone or noise floor): nothing to align on")
    return Prepared(features=F, activity=act, n=len(x), sr=sr)


class PrepareStream:
    """:func:`prepare` as a signal's samples arrive: :meth:`feed` the start decoded so far (growing, in the same
    memory), then :meth:`finish` with the whole signal; the same :class:`Prepared`, and the same errors, as
    ``prepare(y, sr, name, hop_s)`` (:class:`~syncmm.features.audio.OnsetBands`)."""

    def __init__(self, sr: int, name: str = "signal", hop_s: float = 0.01):
        self.sr, self.name, self.hop_s = sr, name, hop_s
        self._bands = OnsetBands(sr, hop_s=hop_s)

    def feed(self, y: np.ndarray) -> None:
        """Compute the features' frames that the samples ``y`` (the signal's start) hold whole."""
        self._bands.feed(y)

    def finish(self, y: np.ndarray) -> Prepared:
        """``prepare`` of the whole signal ``y``, with the frames already computed."""
        return prepare(y, self.sr, self.name, self.hop_s, bands=self._bands)


def estimate_offset(
    x: SampleSource,
    y: SampleSource,
    sr: int,
    *,
    t0_x: float = 0.0,
    t0_y: float = 0.0,
    max_offset: float | None = None,
    min_overlap: float | None = None,
    method: str = "xcorr",
    fine_window: float = 30.0,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    hop_s: float = 0.01,
    prepared: tuple[Prepared, Prepared] | None = None,
    keep_curve: bool = False,
) -> OffsetEstimate:
    """Estimate the offset between two recordings of the same event.

    Parameters
    ----------
    x : SampleSource [shape=(n,)]
        REF, mono: an array, or a decoded file read by slicing (:class:`syncmm.types.SampleSource`).
    y : SampleSource [shape=(m,)]
        OTHER, mono, same rate as ``x``.
    sr : int
        Sample rate of both, in Hz.
    t0_x, t0_y : float
        Time of the first sample of each on its file's timeline (seconds).
    max_offset : float, optional
        Largest ``|offset_s|`` to consider, in seconds.
    min_overlap : float, optional
        Smallest overlap (seconds) an offset may imply; default ``min(2 s, 50 % of the shorter signal)``.
    method : {"xcorr", "gcc-phat", "coarse"}
        Fine stage: plain waveform cross-correlation, GCC-PHAT weighting, or none (onset envelope only,
        10 ms resolution before interpolation).
    fine_window : float
        Seconds of OTHER used by the fine stage (placed where OTHER is most active).
    min_confidence : float
        Below this confidence, raise :class:`AlignmentError` instead of returning a number.
    hop_s : float
        Hop of the coarse onset features.
    prepared : (Prepared, Prepared), optional
        :func:`prepare` of ``x`` and ``y``, made beforehand (e.g. next to the decoder).  Then ``x`` and
        ``y`` need only support ``len()`` and slicing: the fine stage reads one window of each.
    keep_curve : bool
        Keep the coarse correlation over all offsets in ``result.curve`` (for plots; about 8 bytes per
        10 ms of the two signals together).

    Returns
    -------
    OffsetEstimate
        ``offset_s = t_x - t_y`` of the same event: positive means delay ``y`` by ``offset_s``.

    Raises
    ------
    ParameterError
        Invalid arguments (NaN, wrong shape, unknown method).
    AlignmentError
        Too short, silent, no admissible overlap, or confidence below ``min_confidence``.
    """
    if method not in ("xcorr", "gcc-phat", "coarse"):
        raise ParameterError(f"unknown method {method!r}: use xcorr, gcc-phat or coarse")
    if max_offset is not None and max_offset < 0:
        raise ParameterError("max_offset must be >= 0")
    if prepared is None:
        px, py = prepare(x, sr, "REF", hop_s), prepare(y, sr, "OTHER", hop_s)
    else:
        px, py = prepared
        if px.sr != sr or py.sr != sr:
            raise ParameterError("prepared features were made at another sample rate")
    Fx, Fy, act_y = px.features, py.features, py.activity
    hop = int(round(sr / Fx.rate))
    shorter = min(px.n, py.n) / sr
    mo = min(2.0, 0.5 * shorter) if min_overlap is None else min(min_overlap, shorter)
    lag_range = None
    if max_offset is not None:
        d = t0_y - t0_x  # lag = (offset - t0_x + t0_y) * sr
        lag_range = ((-max_offset + d) * sr / hop - 1, (max_offset + d) * sr / hop + 1)
    cp, lags, score = coarse_peak(Fx.X, Fy.X, int(mo * Fx.rate), lag_range)
    curve = _curve(cp, lags, score, lambda L: L * hop / sr + t0_x - t0_y) if keep_curve else None
    y_range = None
    if py.n / sr > LONG_S and cp.confidence < 0.9:
        # Clock drift smears a whole-file correlation (200 ppm is 0.72 s over an hour, 72 frames): also
        # try chunks of OTHER, over which the drift is a frame or two, and keep the most prominent peak.
        best = _chunked_peak(Fx.X, Fy.X, int(mo * Fx.rate), lag_range, int(CHUNK_S * Fx.rate))
        if best is not None and best[0].confidence > cp.confidence:
            cp, (c0, c1) = best
            y_range = (c0 * hop, c1 * hop)
    coarse_lag = cp.lag * hop
    warnings: list[str] = []
    lag = coarse_lag
    fine_corr = None
    inverted = False
    used = "onset-xcorr"
    if method != "coarse":
        margin = 3 * hop
        fp = fine_peak(
            x,
            y,
            coarse_lag,
            margin,
            int(fine_window * sr),
            weights=act_y,
            hop=hop,
            phat=method == "gcc-phat",
            y_range=y_range,
        )
        if fp is None:
            warnings.append("overlap too short for the waveform stage; coarse estimate only")
        elif fp.at_edge or fp.correlation < 0.02:
            fine_corr = fp.correlation
            warnings.append(
                f"waveforms do not correlate around the onset peak (r={fp.correlation:.3f}); coarse estimate only"
            )
        else:
            lag = fp.lag
            fine_corr = fp.correlation
            inverted = fp.inverted
            used += "+" + ("gcc-phat" if method == "gcc-phat" else "waveform-xcorr")
            if inverted:
                warnings.append(
                    "OTHER's polarity is inverted (its waveform is REF's upside down: a microphone or cable wired "
                    "the other way); the offset is measured on the inverted waveform"
                )
    offset = lag / sr + t0_x - t0_y
    i_lo = max(0.0, lag)
    i_hi = min(px.n, py.n + lag)
    ov = (t0_x + i_lo / sr, t0_x + i_hi / sr, t0_y + (i_lo - lag) / sr, t0_y + (i_hi - lag) / sr)
    est = OffsetEstimate(
        offset_s=float(offset),
        offset_samples=float(offset * sr),
        sample_rate=int(sr),
        confidence=cp.confidence,
        method=used,
        coarse_offset_s=float(coarse_lag / sr + t0_x - t0_y),
        fine_correlation=fine_corr,
        peak_score=cp.score,
        runner_up_score=cp.runner_up_score,
        runner_up_offset_s=None if cp.runner_up_lag is None else cp.runner_up_lag * hop / sr + t0_x - t0_y,
        overlap=tuple(float(v) for v in ov),
        features=("onset",),
        warnings=tuple(warnings),
        curve=curve,
        inverted=inverted,
    )
    return _require_confidence(est, min_confidence, cp.why_unreliable(lambda L: L * hop / sr + t0_x - t0_y))


def estimate_offset_features(
    A: Features,
    B: Features,
    *,
    max_offset: float | None = None,
    min_overlap: float | None = None,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    method: str = "feature-xcorr",
    keep_curve: bool = False,
) -> OffsetEstimate:
    """Offset between two feature sequences at one rate (motion channels, ...): the coarse stage alone.

    Parameters
    ----------
    A, B : Features
        REF's and OTHER's features, same rate and dimension; ``t0`` on each file's timeline.
    max_offset, min_overlap, min_confidence
        As in :func:`estimate_offset` (seconds).
    method : str
        Name recorded in the estimate.
    keep_curve : bool
        Keep the correlation over all offsets in ``result.curve`` (for plots).

    Returns
    -------
    OffsetEstimate
        Sub-frame (parabolic) offset; ``sample_rate`` is the feature rate rounded.
    """
    if A.rate != B.rate or A.X.shape[0] != B.X.shape[0]:
        raise ParameterError("both feature sequences need the same rate and dimension")
    rate = A.rate
    na, nb = A.X.shape[1], B.X.shape[1]
    shorter = min(na, nb) / rate
    mo = min(2.0, 0.5 * shorter) if min_overlap is None else min(min_overlap, shorter)
    lag_range = None
    if max_offset is not None:
        d = B.t0 - A.t0
        lag_range = ((-max_offset + d) * rate - 1, (max_offset + d) * rate + 1)
    cp, lags, score = coarse_peak(A.X, B.X, int(mo * rate), lag_range)
    curve = _curve(cp, lags, score, lambda L: L / rate + A.t0 - B.t0) if keep_curve else None
    offset = cp.lag / rate + A.t0 - B.t0
    i_lo, i_hi = max(0.0, cp.lag), min(na, nb + cp.lag)
    ov = (A.t0 + i_lo / rate, A.t0 + i_hi / rate, B.t0 + (i_lo - cp.lag) / rate, B.t0 + (i_hi - cp.lag) / rate)
    est = OffsetEstimate(
        offset_s=float(offset), offset_samples=float(offset * rate), sample_rate=int(round(rate)),
        confidence=cp.confidence, method=method, coarse_offset_s=float(offset), fine_correlation=None,
        peak_score=cp.score, runner_up_score=cp.runner_up_score,
        runner_up_offset_s=None if cp.runner_up_lag is None else cp.runner_up_lag / rate + A.t0 - B.t0,
        overlap=tuple(float(v) for v in ov), features=tuple(sorted({n.rstrip("0123456789") for n in A.names})),
        curve=curve,
    )  # fmt: skip
    return _require_confidence(est, min_confidence, cp.why_unreliable(lambda L: L / rate + A.t0 - B.t0))


def _require_confidence(est: OffsetEstimate, min_confidence: float, why: str) -> OffsetEstimate:
    """``est``, or AlignmentError (carrying it as ``.estimate``, saying ``why``) when its confidence is below
    the minimum."""
    if est.confidence < min_confidence:
        raise AlignmentError(
            f"no reliable alignment (confidence {est.confidence:.2f} < {min_confidence:.2f}): {why}",
            estimate=est,
        )
    return est
