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

Confidence: the peak's strength ``z = r * sqrt(seconds with a face)`` is compared with its distribution on
mismatched sound (each development clip's picture with every other clip's speech): ``confidence`` is the
share of mismatched pairs with a weaker peak (a Gaussian fitted to them), so that the 0.95 threshold
accepts about 5 % of unrelated sound.  It grows with the evidence because ``z`` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..dsp.filters import bandpass
from ..exceptions import AlignmentError, ParameterError
from ..features.lips import OPENING
from .cca import BlockStats, held_out, interleaved

RATE = 100.0  # analysis grid, frames/s
BAND = (1.0, 8.0)  # syllable rate, Hz
RIDGE = 4.0  # ridge added to the (unit-variance) covariances; chosen by leave-one-clip-out (README)
N_FOLDS, FOLD_S = 4, 1.0
MIN_CONFIDENCE = 0.97  # below: undecidable (exit 4); about 2 % of mismatched sound passes it (README)
AGREE_S = 0.04  # the two statistics agree when their peaks are this close
#: Fitted by ``bench/calibrate_lipsync.py`` on the 23 development clips (17 talking heads, 6 GRID): each clip's
#: picture with every other clip's sound and with its own sound rotated by half its length (529 pairs).
#: and 40 long pairs (8 talking heads in turn under 8 others' sound, 55-75 s).  NULL: the peak strength z of
#: each group as a normal law matched to its 95th and 99th percentiles: (median face seconds, mean, sd) of the
#: short and of the long group; in between, mean and sd are interpolated in ln(face seconds), outside clamped;
#: NULL_AGREE: the share of those pairs, among the strongest quarter, whose two statistics agree anyway.
NULL = {
    "cca": ((6.3, 0.9116, 0.1795), (65.9, 1.3502, 0.1284)),
    "opening": ((6.3, 0.7442, 0.1634), (65.9, 0.7553, 0.199)),
}
NULL_AGREE = {"cca": 0.175, "opening": 0.273}
#: Raw peak on footage presumed in sync: the median over the development clips (mouth movement leads the
#: sound); removed from every estimate.  Leaving any one clip out moves it by at most 7 ms.
DEFAULT_BIAS_S = {"cca": -0.041, "opening": -0.043}
SEGMENT_S = 10.0  # per-window estimates over windows of this many seconds of picture, every half window
#: A window decides at this confidence (stricter than the file's: a long file has many windows; at 0.97 one
#: of the ~70 windows of the joined development files decided a wrong offset (+687 ms at 0.979), none at 0.99).
WINDOW_CONFIDENCE = 0.99
METHODS = ("cca", "opening")


@dataclass(frozen=True)
class Segment:
    """One window's estimate: picture time range, offset (bias removed), confidence."""

    start_s: float
    end_s: float
    offset_s: float | None
    confidence: float


@dataclass(frozen=True, eq=False)
class LipSyncEstimate:
    """``offset_s`` (picture minus audio, bias removed), the raw peak, confidence and the evidence used.

    When the sync steps inside the file (``step_s`` is set), ``offset_s`` and ``confidence`` are those of the
    longest run of agreeing windows (its weakest window's confidence), not of the whole-file peak.
    """

    offset_s: float
    raw_offset_s: float
    bias_s: float
    confidence: float
    strength: float  # z = r * sqrt(face seconds), the statistic behind the confidence
    correlation: float  # cross-validated canonical correlation at the peak
    runner_up_offset_s: float | None
    face_s: float  # seconds with the face
    speech_s: float  # seconds with speech while the face is visible
    lags_s: np.ndarray
    curve: np.ndarray
    method: str = "cca"
    segments: tuple[Segment, ...] = ()
    step_s: float | None = None  # where the sync changes, when it does
    agree: bool = True  # the partner statistic peaks within AGREE_S of this one
    threshold: float = MIN_CONFIDENCE  # the confidence a decision needs
    face: int = 0  # which face track (the active speaker)
    # the evidence, for plots: the first canonical pair at the peak on the 100 Hz grid, the mouth's variate
    # (NaN without a face) and the sound's, read at t + lag (already moved by the raw offset)
    times: np.ndarray | None = None
    mouth: np.ndarray | None = None
    env_times: np.ndarray | None = None
    env: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    @property
    def decided(self) -> bool:
        """The confidence reaches the threshold."""
        return self.confidence >= self.threshold

    @property
    def confidence_words(self) -> str:
        """The confidence in words."""
        return confidence_words(self.confidence)


def confidence_words(confidence: float) -> str:
    """The confidence in words (it is the share of unrelated sound that would give a weaker peak)."""
    if confidence >= 0.999:
        return "certain: fewer than 1 in 1000 mismatched sounds give a peak this strong"
    if confidence >= 0.99:
        return "very likely: fewer than 1 in 100 mismatched sounds give a peak this strong"
    if confidence >= MIN_CONFIDENCE:
        return "likely: fewer than 3 in 100 mismatched sounds give a peak this strong"
    if confidence < 0.5:
        return "undecidable: the mouth shape and the mouth opening point to different offsets"
    return "undecidable: mismatched sound often gives a peak this strong"


def calibrated(z: float, agree: bool, method: str = "cca", face_s: float = 10.0) -> float:
    """The confidence of a peak of strength ``z``.

    When the two statistics agree: 1 - P(mismatched sound gives a peak at least this strong and agreeing),
    so that a threshold c accepts a share 1 - c of mismatched sound.  When they disagree the peak is not
    trusted whatever its strength: half the probability that mismatched sound gives a weaker peak (< 0.5).
    """
    (t1, m1, s1), (t2, m2, s2) = NULL[method]
    x = min(max(math.log(max(face_s, 1e-3) / t1) / math.log(t2 / t1), 0.0), 1.0)
    mu, sd = m1 + x * (m2 - m1), s1 + x * (s2 - s1)
    p = 0.5 * math.erfc((z - mu) / (sd * math.sqrt(2.0)))
    return 1.0 - NULL_AGREE[method] * p if agree else 0.5 * (1.0 - p)


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


def _peak(curve: np.ndarray, K: int) -> tuple[int, float]:
    k = int(np.argmax(curve))
    frac = 0.0
    if 0 < k < len(curve) - 1:
        y0, y1, y2 = curve[k - 1], curve[k], curve[k + 1]
        den = y0 - 2 * y1 + y2
        frac = 0.5 * (y0 - y2) / den if den < 0 else 0.0
    return k, (k - K + frac) / RATE  # audio event at t + lag: audio late by lag


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
    curve, partner = _scan(stats, cols)
    k, lag, z, agree, conf = _decide(curve, partner, face_s, K, method)
    lags = np.arange(-K, K + 1)
    excl = np.abs(lags - lags[k]) > int(0.12 * RATE)
    k2 = int(np.argmax(np.where(excl, curve, -np.inf))) if excl.any() else None
    u, v = _variates(X[:, cols[0][0]], Y[:, cols[0][1]], face, lags[k])
    segments, change = _segments(stats, grid, K, cols, method, bias, segment_s, min_confidence)
    raw, step = -lag, None
    if change is not None:  # the whole file mixes two offsets: report the one over most of it
        step, level, conf = change
        raw = level + bias
    est = LipSyncEstimate(
        offset_s=float(raw - bias), raw_offset_s=float(raw), bias_s=bias, confidence=conf, strength=z,
        correlation=float(curve[k]), runner_up_offset_s=None if k2 is None else float(-lags[k2] / RATE),
        face_s=face_s, speech_s=speech_s, lags_s=lags / RATE, curve=curve, method=method, segments=segments,
        step_s=step, agree=agree, threshold=min_confidence, times=grid, mouth=u, env_times=grid, env=v,
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


def _decide(curve: np.ndarray, partner: np.ndarray, face_s: float, K: int, method: str):
    """Peak index, lag (s), strength, agreement of the two statistics, confidence."""
    k, lag = _peak(curve, K)
    _, lag2 = _peak(partner, K)
    z = float(curve[k]) * math.sqrt(max(face_s, 0.0))
    agree = abs(lag - lag2) <= AGREE_S
    return k, lag, z, agree, calibrated(z, agree, method, face_s)


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
    U, _, Vt = np.linalg.svd(Lx @ (Xf.T @ Ys[face] / len(Xf)) @ Ly.T)
    u, v = X @ (Lx.T @ U[:, 0]), Ys @ (Ly.T @ Vt[0])
    u, v = u / (u[face].std() + 1e-12), v / (v.std() + 1e-12)
    return np.where(face, u, np.nan), v


def _scan(stats: BlockStats, cols: list, blocks=slice(None)) -> tuple[np.ndarray, np.ndarray]:
    """The primary and partner curves over the given blocks, interleaved folds."""
    out = []
    for xs, ys in cols:
        st = stats.subset(xs, ys, blocks)
        out.append(held_out(st, interleaved(len(st.nf), N_FOLDS), RIDGE).curve())
    return out[0], out[1]


def _segments(
    stats: BlockStats,
    grid: np.ndarray,
    K: int,
    cols: list,
    method: str,
    bias: float,
    segment_s: float,
    min_confidence: float,
) -> tuple[tuple[Segment, ...], tuple[float, float, float] | None]:
    """Per-window estimates over windows of ``segment_s`` every ``segment_s / 2``, each window treated as a
    clip of its own (same folds, same calibration), and where the sync steps: between two runs of at least two
    decided windows (undecided ones skipped) that agree within 40 ms inside each run and differ by more than
    60 ms, at the 1-s block boundary that best splits them.  Returns the windows and, when the sync steps,
    (where, the offset of the longest run, its weakest window's confidence)."""
    per = int(round(segment_s / FOLD_S))
    hop = max(1, per // 2)
    nb = len(stats.nf)
    if nb < 2 * per:
        return (), None
    starts = list(range(0, nb - per + 1, hop))
    segs, spans = [], []
    for i, a in enumerate(starts):
        b = nb if i == len(starts) - 1 else a + per  # the last window takes the remainder
        c1, c2 = _scan(stats, cols, slice(a, b))
        _, lag, _, _, conf = _decide(c1, c2, float(stats.nf[a:b].sum() / RATE), K, method)
        off = float(-lag - bias) if conf >= max(min_confidence, WINDOW_CONFIDENCE) else None
        end = len(grid) / RATE if b == nb else b * FOLD_S
        segs.append(Segment(float(grid[0] + a * FOLD_S), float(grid[0] + end), off, conf))
        spans.append((a, b))
    runs = _runs(segs)
    for (_, i1, la), (j0, _, lb) in zip(runs, runs[1:], strict=False):
        if abs(la - lb) > 0.06:  # the first change of level
            ka, kb = int(round(-(la + bias) * RATE)) + K, int(round(-(lb + bias) * RATE)) + K
            lo, hi = spans[i1][0], spans[j0][1]  # the step lies between the two runs
            step = float(grid[0] + _step_block(stats.subset(*cols[0]), lo, hi, ka, kb) * FOLD_S)
            first, last, level = max(runs, key=lambda r: r[1] - r[0])  # the level over most of the file
            weakest = min(g.confidence for g in segs[first : last + 1] if g.offset_s is not None)
            return tuple(segs), (step, level, weakest)
    return tuple(segs), None


def _step_block(st: BlockStats, lo: int, hi: int, ka: int, kb: int) -> int:
    """The block boundary in ``lo..hi`` where the sync changes from lag index ``ka`` to ``kb``: the mouth and
    sound projections of each level are fitted on its own side (before ``lo`` at ``ka``, after ``hi`` at
    ``kb``; the whole file when a side is empty), and each block between is scored with both."""

    def fit(blocks, k):
        Cxx = st.Xx[blocks].sum(0) / max(st.nf[blocks].sum(), 1.0) + RIDGE * np.eye(st.Xx.shape[1])
        Lx = np.linalg.inv(np.linalg.cholesky(Cxx))
        Ly = np.linalg.inv(np.linalg.cholesky(st.Cyy + RIDGE * np.eye(st.Cyy.shape[0])))
        U, _, Vt = np.linalg.svd(Lx @ (st.C[blocks, k].sum(0) / max(st.nf[blocks].sum(), 1.0)) @ Ly.T)
        return Lx.T @ U[:, 0], Ly.T @ Vt[0]

    nb = len(st.nf)
    wa = fit(slice(0, lo) if lo > 0 else slice(None), ka)
    wb = fit(slice(hi, nb) if hi < nb else slice(None), kb)

    def score(w, k):
        wx, wy = w
        num = np.einsum("i,bij,j->b", wx, st.C[lo:hi, k], wy)
        vx = np.einsum("i,bij,j->b", wx, st.Xx[lo:hi], wx)
        return num / np.sqrt(max(vx.sum(), 1e-30) * float(wy @ st.Cyy @ wy) * max(st.nf[lo:hi].sum(), 1.0))

    gain = np.cumsum(score(wa, ka) - score(wb, kb))
    return lo + int(np.argmax(gain)) + 1


def _runs(segs: list[Segment]) -> list[tuple[int, int, float]]:
    """Runs of >= 2 decided windows (undecided ones between them skipped) within 40 ms of the previous one:
    (index of the first, index of the last, median offset)."""
    got = [(i, g.offset_s) for i, g in enumerate(segs) if g.offset_s is not None]
    out, i = [], 0
    while i < len(got):
        j = i
        while j + 1 < len(got) and abs(got[j + 1][1] - got[j][1]) <= 0.04:
            j += 1
        if j > i:
            out.append((got[i][0], got[j][0], float(np.median([o for _, o in got[i : j + 1]]))))
        i = j + 1
    return out


def confirmed_out_of(segments: tuple[Segment, ...], tolerance_s: float) -> list[Segment]:
    """Windows out of ``tolerance_s`` that a neighbouring window confirms (both decided and out): a single
    window is not enough evidence to fail a file on."""
    out = []
    for i, g in enumerate(segments):
        if g.offset_s is None or abs(g.offset_s) <= tolerance_s:
            continue
        near = [segments[j] for j in (i - 1, i + 1) if 0 <= j < len(segments)]
        if any(h.offset_s is not None and abs(h.offset_s) > tolerance_s for h in near):
            out.append(g)
    return out
