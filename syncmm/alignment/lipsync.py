"""A file's own A/V offset from the speaker's mouth: cross-validated canonical correlation against the sound.

REF is the picture and OTHER the audio: ``offset_s = t_picture - t_audio`` of the same event, so audio
200 ms late gives -0.200 (cut 0.2 s from the audio).  Arrays in, a frozen dataclass out; no I/O.

Method (``"cca"``, FaceSync-style): mouth features (lip-shape components, opening, width, area, mouth
appearance, :func:`syncmm.features.lips.mouth_features`) and sound features (24 log-mel bands and the
voice-band envelope, :mod:`syncmm.features.speech`) on a 100 Hz grid, both band-passed to the syllable rate
(1-8 Hz).  For every lag the first canonical pair (ridge-regularised) is fitted on three of four
interleaved 1-s folds and its correlation scored on the fourth, for each fold in turn: a flexible projection
cannot make a wrong lag look good, because it is always scored on speech it was not fitted on.
``"opening"`` is the same estimator on one pair of signals (inner-lip opening, voice-band envelope).

The opening statistic is also the partner of the CCA one (and the other way round): a peak is trusted
only where both agree.  Confidence (:mod:`.lipsync_model`): 1 - the share of mismatched sound that gives a
peak this strong and agreeing, from the peak's strength ``z = r * sqrt(seconds with a face)``; it grows with
the evidence because ``z`` does.  Long files are also analysed window by window (:mod:`.lipsync_windows`).
"""

from __future__ import annotations

import numpy as np

from ..dsp.filters import bandpass
from ..exceptions import AlignmentError, ParameterError
from ..features.lips import OPENING
from ..types import LipSyncEstimate
from .cca import BlockStats
from .lipsync_model import (
    BAND,
    DEFAULT_BIAS_S,
    FOLD_S,
    METHODS,
    MIN_CONFIDENCE,
    RATE,
    RIDGE,
    confidence_words,
    decide,
)
from .lipsync_windows import SEGMENT_S, scan, windows


def _on_grid(grid: np.ndarray, t: np.ndarray, v: np.ndarray, ok: np.ndarray) -> np.ndarray:
    out = np.zeros((len(grid), v.shape[1]))
    if ok.sum() >= 2:
        for j in range(v.shape[1]):
            out[:, j] = np.interp(grid, t[ok], v[ok, j])
    return out


def _standardise(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    x = bandpass(x - x[w].mean(0), RATE, *BAND)
    x = np.where(w[:, None], x, 0.0)
    x = (x - x[w].mean(0)) / (x[w].std(0) + 1e-9)
    return np.where(w[:, None], x, 0.0)


def estimate_av_offset(
    times: np.ndarray,
    mouth: np.ndarray,
    speech_times: np.ndarray,
    sound: np.ndarray,
    *,
    max_offset: float = 1.0,
    method: str = "cca",
    bias_s: float | None = None,
    min_confidence: float = MIN_CONFIDENCE,
    speech_active: np.ndarray | None = None,
    segment_s: float = SEGMENT_S,
    opening_col: int = OPENING,
) -> LipSyncEstimate:
    """The picture-minus-audio offset from mouth features against sound features.

    Parameters
    ----------
    times : np.ndarray
        (n,) video frame times.
    mouth : np.ndarray
        (n, p) mouth features per frame (:func:`syncmm.features.lips.mouth_features`), NaN rows without a
        face.
    speech_times, sound : np.ndarray
        (m,) and (m, q): the sound features every 10 ms (log-mel bands, last column the voice-band envelope).
    max_offset : float
        Search range in seconds.
    method : {"cca", "opening"}
        The primary statistic: all features by cross-validated CCA, or the inner-lip opening against the
        envelope.  The other one is the partner: the peak is trusted only where the two agree.
    bias_s : float, optional
        Subtracted from the raw peak; default: the method's calibrated bias.
    min_confidence : float
        Below this the peak is not trusted (AlignmentError, with the estimate attached).
    speech_active : np.ndarray, optional
        (m,) bool speech activity, for the ``speech_s`` figure.
    segment_s : float
        Window for the per-window estimates of long files.
    opening_col : int
        The column of ``mouth`` that is the inner-lip opening.

    Raises
    ------
    AlignmentError
        No face, no speech, too little of both at once, or a peak below ``min_confidence``.
    ParameterError
        Arrays of the wrong shape, an unknown method, a search range outside 0.05-5 s.
    """
    if method not in METHODS:
        raise ParameterError(f"unknown lip-sync method {method!r}: use {' or '.join(METHODS)}")
    if not 0.05 <= max_offset <= 5.0:
        raise ParameterError("the search range must be 0.05-5 s")
    times, mouth = np.asarray(times, np.float64), np.asarray(mouth, np.float64)
    st, sound = np.asarray(speech_times, np.float64), np.asarray(sound, np.float64)
    if mouth.ndim == 1:
        mouth = mouth[:, None]
    if sound.ndim == 1:
        sound = sound[:, None]
    if len(times) != len(mouth) or len(st) != len(sound):
        raise ParameterError("times and features differ in length")
    bias = DEFAULT_BIAS_S[method] if bias_s is None else float(bias_s)
    ok = np.isfinite(mouth).all(1)
    if ok.sum() < 10:
        raise AlignmentError("no face found in the picture: lip sync cannot be measured")
    if len(st) < 2:
        raise AlignmentError("no sound to compare with the picture")
    t0, t1 = max(times[0], st[0]), min(times[-1], st[-1])
    grid = np.arange(t0, t1, 1 / RATE)
    if len(grid) < 2 * RATE:
        raise AlignmentError("less than 2 s with both picture and sound")
    face = np.interp(grid, times, ok.astype(float)) > 0.5
    env = np.interp(grid, st, sound[:, -1])
    active = (
        np.interp(grid, st, np.asarray(speech_active, float)) > 0.5
        if speech_active is not None
        else env > np.percentile(env, 30) + 0.5
    )
    speech_s = float((active & face).sum() / RATE)
    face_s = float(face.sum() / RATE)
    if speech_s < 1.0 or np.ptp(env) < 1.0:
        raise AlignmentError("no speech while a face is visible: lip sync cannot be measured")
    X = _standardise(_on_grid(grid, times, mouth, ok), face)
    Y = _standardise(np.column_stack([np.interp(grid, st, c) for c in sound.T]), np.ones(len(grid), bool))
    K = int(round(max_offset * RATE))
    cols = _columns(method, X.shape[1], opening_col)
    stats = BlockStats.of(X, Y, face, K, int(FOLD_S * RATE))
    curve, partner = scan(stats, cols)
    k, lag, z, agree, conf = decide(curve, partner, face_s, K, method)
    lags = np.arange(-K, K + 1)
    excl = np.abs(lags - lags[k]) > int(0.12 * RATE)
    k2 = int(np.argmax(np.where(excl, curve, -np.inf))) if excl.any() else None
    u, v = _variates(X[:, cols[0][0]], Y[:, cols[0][1]], face, lags[k])
    segments, change = windows(stats, grid, K, cols, method, bias, segment_s, min_confidence)
    raw, step = -lag, None
    if change is not None:  # the whole file mixes two offsets: report the one over most of it
        step, level, conf = change
        raw = level + bias
    est = LipSyncEstimate(
        offset_s=float(raw - bias), raw_offset_s=float(raw), bias_s=bias, confidence=conf, strength=z,
        correlation=float(curve[k]), runner_up_offset_s=None if k2 is None else float(-lags[k2] / RATE),
        face_s=face_s, speech_s=speech_s, lags_s=lags / RATE, curve=curve, method=method, segments=segments,
        step_s=step, agree=agree, confidence_words=confidence_words(conf), threshold=min_confidence, times=grid,
        mouth=u, env_times=grid, env=v,
    )  # fmt: skip
    if conf < min_confidence:  # the estimate rides on the error, so that a plot can show why
        raise AlignmentError(
            f"lip sync undecidable (confidence {conf:.2f} < {min_confidence:.2f}, {face_s:.1f} s of face, "
            f"{speech_s:.1f} s of it with speech): "
            + (
                "the mouth does not follow the sound clearly enough (too little speech with a visible face, or "
                "not this face's voice)"
                if agree
                else "the mouth's shape and its opening point to different offsets (too little evidence, or not this "
                "face's voice)"
            ),
            estimate=est,
        )
    return est


def _columns(method: str, p: int, opening_col: int) -> list[tuple[slice | list[int], slice | list[int]]]:
    """(mouth columns, sound columns) of the primary statistic and of its partner."""
    if not 0 <= opening_col < p:
        raise ParameterError(f"opening column {opening_col} is not among the {p} mouth features")
    cca: tuple = (slice(None), slice(None))
    opening: tuple = ([opening_col], [-1])
    return [cca, opening] if method == "cca" else [opening, cca]


def _variates(X: np.ndarray, Y: np.ndarray, face: np.ndarray, L: int) -> tuple[np.ndarray, np.ndarray]:
    """The first canonical pair at lag ``L`` fitted on the whole file: the mouth's variate (NaN without a
    face) and the sound's, both on the picture's grid (the sound read at t + L)."""
    n = len(X)
    Ys = np.zeros_like(Y)
    if L >= 0:
        Ys[: n - L] = Y[L:]
    else:
        Ys[-L:] = Y[: n + L]
    Xf = X[face]
    Cxx = Xf.T @ Xf / len(Xf) + RIDGE * np.eye(X.shape[1])
    Cyy = Y.T @ Y / n + RIDGE * np.eye(Y.shape[1])
    Lx, Ly = np.linalg.inv(np.linalg.cholesky(Cxx)), np.linalg.inv(np.linalg.cholesky(Cyy))
    U, _, Vt = np.linalg.svd(Lx @ (Xf.T @ Ys[face] / len(Xf)) @ Ly.T, full_matrices=False)
    u, v = X @ (Lx.T @ U[:, 0]), Ys @ (Ly.T @ Vt[0])
    u, v = u / (u[face].std() + 1e-12), v / (v.std() + 1e-12)
    return np.where(face, u, np.nan), v
