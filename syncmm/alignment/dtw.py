"""Banded dynamic time warping.

:func:`dtw` runs one banded DTW over feature frames (memory: the band, never N x M); the helpers here
(downsampling, projecting a path to a finer scale) serve the multiscale driver
:func:`syncmm.alignment.multiscale.warp`.  Feature matrices have time on the last axis, ``(d, N)``, as
librosa's do; results are frozen dataclasses.
"""

from __future__ import annotations

import math

import numpy as np

from ..exceptions import AlignmentError, ParameterError
from ..types import DTWResult

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
    onsets: tuple[np.ndarray, np.ndarray] | None = None,
    onset_weight: float = 1.0,
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
    onsets : (np.ndarray [shape=(k, N)], np.ndarray [shape=(k, M)]), optional
        Second features of the same frames whose Euclidean distance, times ``onset_weight``, is added to
        every local cost (see :func:`warp`).
    onset_weight : float
        Their weight.

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
    ons = _check_onsets(onsets, n, mm, onset_weight)
    if ons is not None:
        ons = (ons[0].T, ons[1].T)
    return _run(_rows(X, m), _rows(Y, m), lo, hi, st, w, cost_add, m, subsequence, ons, onset_weight)


def _check_onsets(onsets, n: int, m: int, weight: float):
    if onsets is None:
        return None
    A, B = _check_features(onsets[0], "REF onsets"), _check_features(onsets[1], "OTHER onsets")
    if A.shape[1] != n or B.shape[1] != m or A.shape[0] != B.shape[0]:
        raise ParameterError("onsets must have the frames of the features and the same dimensions for both")
    if not (math.isfinite(weight) and weight >= 0):
        raise ParameterError("onset_weight must be >= 0")
    return A, B


def _run(R, Q, lo, hi, st, w, cost_add, m, subsequence, onsets=None, onset_weight=0.0) -> DTWResult:
    """One banded DTW of unit rows ``R``/``Q`` (see :func:`dtw`)."""
    from ._dtw_kernels import _backtrack, _band_accumulate

    n, mm = len(R), len(Q)
    offs = np.zeros(n + 1, np.int64)
    np.cumsum(hi - lo, out=offs[1:])
    D = np.empty(offs[-1], np.float64)
    B = np.empty(offs[-1], np.int8)
    if onsets is None:
        Ro, Qo = np.zeros((n, 0)), np.zeros((0, mm))
    else:
        Ro, Qo = np.ascontiguousarray(onsets[0], np.float64), np.ascontiguousarray(onsets[1].T, np.float64)
    _band_accumulate(R, np.ascontiguousarray(Q.T), Ro, Qo, float(onset_weight), lo, hi, offs, st, w, float(cost_add), m,
                     subsequence, D, B)  # fmt: skip
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
