"""Banded and multiscale dynamic time warping.

:func:`dtw` runs one banded DTW over feature frames (memory: the band, never N x M).  :func:`warp` is the
multiscale driver: features smoothed and downsampled, a path found at the coarsest scale over the whole
matrix, then at each finer scale a band around the projected path.  Both take feature matrices with time
on the last axis, ``(d, N)``, as librosa does, and return frozen dataclasses.
"""

from __future__ import annotations

import math

import numpy as np

from ..exceptions import AlignmentError, ParameterError
from ..types import DTWResult, WarpPath
from .dtw_contrast import _compress, _roll, path_contrast

#: Step sets: (d_ref, d_other) steps and their weights on the local cost.
STEP_SETS = {
    # classic: diagonal, along REF, along OTHER, all of weight 1 (librosa's default); with the added cost this
    # favours the diagonal
    "classic": (np.array([[1, 1], [1, 0], [0, 1]]), np.array([1.0, 1.0, 1.0])),
    # symmetric: the diagonal weighted like the two single steps it replaces
    "symmetric": (np.array([[1, 1], [1, 0], [0, 1]]), np.array([2.0, 1.0, 1.0])),
    # slopes between 1/2 and 2 only (no long horizontal or vertical runs)
    "slope2": (np.array([[1, 1], [2, 1], [1, 2]]), np.array([2.0, 3.0, 3.0])),
}
METRICS = {"cosine": 0, "euclidean": 1}
COARSE_MAX_FRAMES = 1500  # the coarsest scale has at most this many REF frames
FACTOR = 4  # downsampling between scales
KEY_MAX_FRAMES = 250  # the transposition search compares the 12 keys at this resolution
#: Defaults of :func:`warp`, chosen on the Schubert D911-03 pair (README "syncmm warp": sensitivity table).
DEFAULT_COST_ADD = 0.1
DEFAULT_COMPRESS = 300.0
#: :func:`warp` refuses a path whose cost is above this share of chance (:func:`path_contrast`); see the README
#: ("syncmm warp": when it refuses) for the pairs it was chosen on.
DEFAULT_MAX_CONTRAST = 0.55
MIN_WARP_S = 1.0  # shorter inputs carry too little to warp


def _check_features(F, name: str) -> np.ndarray:
    F = np.asarray(F)
    if F.ndim == 1:
        F = F[None, :]
    if F.ndim != 2:
        raise ParameterError(f"{name}: features must have shape (d, N), not {F.shape}")
    if F.shape[1] < 2:
        raise ParameterError(f"{name}: needs at least 2 frames, has {F.shape[1]}")
    if F.shape[0] < 1:
        raise ParameterError(f"{name}: has no feature dimensions")
    if not np.issubdtype(F.dtype, np.number):
        raise ParameterError(f"{name}: features must be numbers")
    if not np.isfinite(F).all():
        raise ParameterError(f"{name}: features contain NaN or infinite values")
    return F


def _unit_rows(R: np.ndarray) -> np.ndarray:
    """Rows scaled to unit norm; silent rows become the uniform vector."""
    n = np.linalg.norm(R, axis=1, keepdims=True)
    flat = n[:, 0] < 1e-9
    R = R / np.where(flat[:, None], 1.0, n)
    R[flat] = 1.0 / math.sqrt(R.shape[1])
    return R


def _rows(F: np.ndarray, metric: int) -> np.ndarray:
    """(N, d) float64 rows; unit norm for the cosine metric (silent frames become the uniform vector)."""
    R = np.ascontiguousarray(F.T, np.float64)
    return _unit_rows(R) if metric == 0 else R


def _steps(steps) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(steps, str):
        if steps not in STEP_SETS:
            raise ParameterError(f"unknown step set {steps!r}; use one of {', '.join(STEP_SETS)}")
        st, w = STEP_SETS[steps]
    else:
        st, w = steps
    st = np.asarray(st, np.int64)
    w = np.asarray(w, np.float64)
    if st.ndim != 2 or st.shape[1] != 2 or len(st) != len(w) or len(st) == 0:
        raise ParameterError("steps must be (S, 2) with S weights")
    if (st < 0).any() or (st.sum(axis=1) == 0).any() or (w <= 0).any():
        raise ParameterError("steps must be non-negative, non-zero, with positive weights")
    return st, w


def _full_band(n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(n, np.int64), np.full(n, m, np.int64)


def dtw(
    X: np.ndarray,
    Y: np.ndarray,
    *,
    band: tuple[np.ndarray, np.ndarray] | None = None,
    metric: str = "cosine",
    steps: str | tuple = "classic",
    cost_add: float = 1.0,
    subsequence: bool = False,
) -> DTWResult:
    """Banded DTW between feature sequences ``X`` (REF) and ``Y`` (OTHER).

    Parameters
    ----------
    X : np.ndarray [shape=(d, N)]
        REF features, time last.
    Y : np.ndarray [shape=(d, M)]
        OTHER features.
    band : (lo, hi), optional
        For each REF frame ``i`` the OTHER frames ``lo[i] <= j < hi[i]`` the path may visit (int arrays of
        length N); default: all of them.
    metric : {"cosine", "euclidean"}
        Local distance (cosine: ``1 - <x, y>`` of unit vectors, in [0, 2]).
    steps : str or (steps, weights)
        ``"classic"`` ((1,1) weight 2, (1,0) and (0,1) weight 1), ``"slope2"`` ((1,1), (2,1), (1,2)), or
        arrays of (d_ref, d_other) steps and their weights.
    cost_add : float
        Added to every local cost (1 maps a cosine distance in [0, 1] to [1, 2], which favours short paths).
    subsequence : bool
        OTHER is a part of REF: the path may start and end at any REF frame (but covers all of OTHER).

    Returns
    -------
    DTWResult

    Raises
    ------
    ParameterError
        Bad shapes, NaN, mismatched dimensions, a malformed band.
    AlignmentError
        The band does not connect the start to the end.
    """
    X = _check_features(X, "REF")
    Y = _check_features(Y, "OTHER")
    if X.shape[0] != Y.shape[0]:
        raise ParameterError(f"REF has {X.shape[0]} feature dimensions, OTHER {Y.shape[0]}")
    if metric not in METRICS:
        raise ParameterError(f"unknown metric {metric!r}; use cosine or euclidean")
    if not math.isfinite(cost_add) or cost_add < 0:
        raise ParameterError("cost_add must be >= 0")
    m = METRICS[metric]
    st, w = _steps(steps)
    n, mm = X.shape[1], Y.shape[1]
    lo, hi = _full_band(n, mm) if band is None else (np.asarray(band[0], np.int64), np.asarray(band[1], np.int64))
    if lo.shape != (n,) or hi.shape != (n,) or (lo < 0).any() or (hi > mm).any() or (hi < lo).any():
        raise ParameterError(f"band must be two int arrays of length {n} with 0 <= lo <= hi <= {mm}")
    return _run(_rows(X, m), _rows(Y, m), lo, hi, st, w, cost_add, m, subsequence)


def _run(R, Q, lo, hi, st, w, cost_add, m, subsequence) -> DTWResult:
    from ._dtw_kernels import _backtrack, _band_accumulate

    n, mm = len(R), len(Q)
    offs = np.zeros(n + 1, np.int64)
    np.cumsum(hi - lo, out=offs[1:])
    D = np.empty(offs[-1], np.float64)
    B = np.empty(offs[-1], np.int8)
    _band_accumulate(R, np.ascontiguousarray(Q.T), lo, hi, offs, st, w, float(cost_add), m, subsequence, D, B)
    j_end = mm - 1
    if subsequence:
        rows = np.flatnonzero((lo <= j_end) & (hi > j_end))
        if len(rows) == 0:
            raise AlignmentError("no path: the band never reaches the end of OTHER")
        vals = D[offs[rows] + j_end - lo[rows]]
        k = int(np.argmin(vals))
        i_end, cost = int(rows[k]), float(vals[k])
    else:
        i_end = n - 1
        if not lo[i_end] <= j_end < hi[i_end]:
            raise AlignmentError("no path: the band does not contain the end cell")
        cost = float(D[offs[i_end] + j_end - lo[i_end]])
    if not math.isfinite(cost):
        raise AlignmentError("no path: the band is too narrow to connect the start to the end")
    path = _backtrack(lo, offs, st, B, i_end, j_end)
    return DTWResult(path=path, cost=cost, cells=int(offs[-1]))


def _downsample(R: np.ndarray, f: int, metric: int) -> np.ndarray:
    """Smooth (box of 2f frames) and keep every f-th frame; renormalise."""
    if f == 1:
        return R
    k = 2 * f
    c = np.cumsum(np.vstack([np.zeros((1, R.shape[1])), R]), axis=0)
    idx = np.arange(0, len(R), f)
    a = np.clip(idx - k // 2 + f // 2, 0, len(R))
    b = np.clip(a + k, 0, len(R))
    S = (c[b] - c[a]) / np.maximum(b - a, 1)[:, None]
    return np.ascontiguousarray(_unit_rows(S) if metric == 0 else S)


def _project(path: np.ndarray, f: int, n: int, m: int, radius: int, subsequence: bool) -> tuple[np.ndarray, np.ndarray]:
    """The band at the finer scale: the cells under the coarse path, widened by ``radius`` frames."""
    lo = np.full(n, m, np.int64)
    hi = np.zeros(n, np.int64)
    for ic, jc in path:
        a, b = ic * f, min((ic + 1) * f, n)
        if a >= n:
            continue
        lo[a:b] = np.minimum(lo[a:b], jc * f)
        hi[a:b] = np.maximum(hi[a:b], min((jc + 1) * f, m))
    rows = np.flatnonzero(hi > lo)
    first, last = rows[0], rows[-1]
    lo[:first], hi[:first] = lo[first], hi[first]
    lo[last + 1 :], hi[last + 1 :] = lo[last], hi[last]
    # widen: every row sees the columns of the rows within +-radius, plus radius columns each side
    from scipy.ndimage import maximum_filter1d, minimum_filter1d

    lo = minimum_filter1d(lo, 2 * radius + 1, mode="nearest") - radius
    hi = maximum_filter1d(hi, 2 * radius + 1, mode="nearest") + radius
    lo = np.minimum.accumulate(np.clip(lo, 0, m)[::-1])[::-1]  # monotonic, so a path can always continue
    hi = np.maximum.accumulate(np.clip(hi, 0, m))
    if not subsequence:
        lo[0] = 0
        hi[-1] = m
    hi = np.maximum(hi, lo + 1)
    return lo, np.minimum(hi, m)


def warp(
    ref_features: np.ndarray,
    other_features: np.ndarray,
    rate: float,
    *,
    metric: str = "cosine",
    steps: str | tuple = "classic",
    cost_add: float = DEFAULT_COST_ADD,
    band_s: float = 0.3,
    compress: float | None = DEFAULT_COMPRESS,
    transpose: str | int | None = "auto",
    subsequence: bool = False,
    offset_s: float | None = None,
    offset_radius_s: float = 10.0,
    ref_t0: float = 0.0,
    other_t0: float = 0.0,
    max_contrast: float = DEFAULT_MAX_CONTRAST,
) -> WarpPath:
    """Multiscale DTW: the time map between two feature sequences at ``rate`` frames/s.

    Parameters
    ----------
    ref_features : np.ndarray [shape=(d, N)]
        REF features, time last (chroma, MFCC, onset channels... any stack of the same frames).
    other_features : np.ndarray [shape=(d, M)]
        OTHER features at the same rate.
    rate : float
        Frames per second of both.
    metric, steps, cost_add, subsequence
        As in :func:`dtw`.
    band_s : float
        Half-width of the band around the path projected from the coarser scale, in seconds (at least
        two frames of that scale).
    compress : float or None
        Non-negative features (chroma, onset strength) are unit-normalised and log-compressed,
        ``log(1 + compress * x)``, so that weak pitch classes count; None: as given.
    transpose : "auto", int or None
        Features whose dimension is a multiple of 12 are taken as blocks of pitch classes: ``"auto"`` tries
        the 12 circular shifts of OTHER's at the coarsest scale and keeps the cheapest (performances in
        different keys); an int forces a shift; None: no shift.
    offset_s : float, optional
        A known offset (``t_REF - t_OTHER``, e.g. from :func:`syncmm.estimate_offset`) for offset-plus-wobble
        material: only the overlap it implies is warped, and the coarsest scale searches within
        ``offset_radius_s`` of it instead of the whole matrix.  The map is then defined on that overlap.
    offset_radius_s : float
        How far the path may wander from the seeded offset at the coarsest scale.
    ref_t0, other_t0 : float
        Times of the first frames.
    max_contrast : float
        Refuse (:class:`AlignmentError`) a path whose mean cost is above this share of chance
        (:func:`path_contrast`): the inputs are not two renditions of one thing.

    Returns
    -------
    WarpPath

    Raises
    ------
    AlignmentError
        An input is shorter than :data:`MIN_WARP_S`, or the best path is no better than chance (which is also
        what constant features, silence included, give).
    """
    X = _check_features(ref_features, "REF")
    Y = _check_features(other_features, "OTHER")
    if X.shape[0] != Y.shape[0]:
        raise ParameterError(f"REF has {X.shape[0]} feature dimensions, OTHER {Y.shape[0]}")
    if not (math.isfinite(rate) and rate > 0):
        raise ParameterError("rate must be > 0")
    if not (math.isfinite(band_s) and band_s >= 0):
        raise ParameterError("band_s must be >= 0")
    if metric not in METRICS:
        raise ParameterError(f"unknown metric {metric!r}; use cosine or euclidean")
    m = METRICS[metric]
    st, w = _steps(steps)
    n0, mm0 = X.shape[1], Y.shape[1]
    a_r = a_o = 0
    if offset_s is not None:
        if not (math.isfinite(offset_s) and math.isfinite(offset_radius_s) and offset_radius_s > 0):
            raise ParameterError("offset_s must be finite and offset_radius_s > 0")
        a_r, a_o = max(0, int(round(offset_s * rate))), max(0, int(round(-offset_s * rate)))
        length = min(n0 - a_r, mm0 - a_o)
        if length < 2:
            raise AlignmentError(f"no path: an offset of {offset_s:.3f} s leaves no overlap")
        X, Y = X[:, a_r : a_r + length], Y[:, a_o : a_o + length]
    for name, F in (("REF", X), ("OTHER", Y)):
        if F.shape[1] < MIN_WARP_S * rate:
            raise AlignmentError(f"{name} is too short to warp ({F.shape[1] / rate:.2f} s; needs {MIN_WARP_S:g} s)")
    if compress is not None and (X.min() >= 0 and Y.min() >= 0):
        X, Y = _compress(X, compress), _compress(Y, compress)
    R = _rows(X, m)
    n, mm = X.shape[1], Y.shape[1]
    factors = [1]
    while max(n, mm) // factors[-1] > COARSE_MAX_FRAMES:
        factors.append(factors[-1] * FACTOR)
    factors = factors[::-1]
    shift = 0
    if transpose is not None and X.shape[0] % 12 == 0:
        if transpose == "auto":
            f = 1
            while max(n, mm) // f > KEY_MAX_FRAMES:
                f *= 2
            Rf = _downsample(R, f, m)
            costs = []
            for k in range(12):
                Of = _downsample(_rows(_roll(Y, k), m), f, m)
                r = _run(Rf, Of, *_full_band(len(Rf), len(Of)), st, w, cost_add, m, subsequence)
                costs.append(r.cost / len(r.path))
            shift = int(np.argmin(costs))
        elif isinstance(transpose, int):
            shift = transpose % 12
        else:
            raise ParameterError("transpose must be 'auto', an int or None")
    Q = _rows(_roll(Y, shift), m)
    path = None
    cells = 0
    prev_f = None
    for f in factors:
        Rf, Of = _downsample(R, f, m), _downsample(Q, f, m)
        if path is None and offset_s is not None:  # seeded: the diagonal of the overlap, +- the radius
            rad = max(int(round(offset_radius_s * rate / f)), 2)
            i = np.arange(len(Rf))
            lo = np.clip(i - rad, 0, len(Of)).astype(np.int64)
            hi = np.clip(i + rad + 1, 1, len(Of)).astype(np.int64)
            lo[0], hi[-1] = 0, len(Of)
            hi = np.maximum(hi, lo + 1)
        elif path is None:
            lo, hi = _full_band(len(Rf), len(Of))
        else:
            r = prev_f // f
            radius = max(int(round(band_s * rate / f)), 2)
            lo, hi = _project(path, r, len(Rf), len(Of), radius, subsequence)
        res = _run(Rf, Of, lo, hi, st, w, cost_add, m, subsequence)
        path, prev_f = res.path, f
        cells += res.cells
    contrast = path_contrast(R, Q, path, m)
    if a_r or a_o:
        path = path + np.array([a_r, a_o], np.int64)
    wp = WarpPath(path=path, rate=float(rate), cost=res.cost, n_ref=n0, n_other=mm0, cells=cells, ref_t0=ref_t0,
                  other_t0=other_t0, scales=tuple(factors), chroma_shift=shift, contrast=contrast)  # fmt: skip
    if contrast > max_contrast:
        raise AlignmentError(
            f"no reliable time map: the best path matches the two inputs no better than chance "
            f"(cost {contrast:.2f} of chance; at most {max_contrast:.2f} is trusted): they may not be the same "
            "piece or recording",
            estimate=wp,
        )
    return wp
