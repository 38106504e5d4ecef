"""The banded DTW kernel against a naive full NumPy DTW, a textbook example, the multiscale driver and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from syncmm.alignment.dtw import STEP_SETS, dtw
from syncmm.alignment.multiscale import warp
from syncmm.exceptions import AlignmentError, ParameterError
from syncmm.types import WarpPath


def naive(X, Y, steps, weights, cost_add=1.0, metric="cosine", subsequence=False, onsets=None, onset_weight=1.0,
          band=None):  # fmt: skip
    """Full N x M DTW in plain NumPy: accumulated cost matrix and the path by backtracking (cells outside
    ``band = (lo, hi)``, per row, are unreachable)."""
    if metric == "cosine":
        A = X / np.maximum(np.linalg.norm(X, axis=0), 1e-300)
        Bm = Y / np.maximum(np.linalg.norm(Y, axis=0), 1e-300)
        C = 1.0 - A.T @ Bm
    else:
        C = np.sqrt(((X.T[:, None, :] - Y.T[None, :, :]) ** 2).sum(-1))
    C = C + cost_add
    if onsets is not None:
        A, Bo = onsets
        C = C + onset_weight * np.sqrt(((A.T[:, None, :] - Bo.T[None, :, :]) ** 2).sum(-1))
    n, m = C.shape
    D = np.full((n, m), np.inf)
    P = np.full((n, m), -1)
    if band is not None:
        C = np.where((np.arange(m) >= band[0][:, None]) & (np.arange(m) < band[1][:, None]), C, np.inf)
    for i in range(n):
        for j in range(m):
            if not np.isfinite(C[i, j]):
                continue
            best, bs = (C[i, j], -1) if j == 0 and (i == 0 or subsequence) else (np.inf, -1)
            for s, (di, dj) in enumerate(steps):
                if i - di >= 0 and j - dj >= 0 and D[i - di, j - dj] + weights[s] * C[i, j] < best:
                    best, bs = D[i - di, j - dj] + weights[s] * C[i, j], s
            D[i, j], P[i, j] = best, bs
    i = int(np.argmin(D[:, m - 1])) if subsequence else n - 1
    cost = D[i, m - 1]
    path, j = [], m - 1
    while True:
        path.append((i, j))
        s = P[i, j]
        if s < 0:
            break
        i, j = i - steps[s][0], j - steps[s][1]
    return cost, np.array(path[::-1])


@pytest.mark.parametrize("name", list(STEP_SETS))
@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_kernel_equals_naive_full_dtw(rng, name, metric):
    st, w = STEP_SETS[name]
    for _ in range(6):
        n, m = int(rng.integers(5, 30)), int(rng.integers(5, 30))
        if name == "slope2":  # reachable end: slopes between 1/2 and 2
            m = int(np.clip(m, n // 2 + 1, 2 * n - 1))
        X, Y = rng.random((4, n)), rng.random((4, m))
        cost, path = naive(X, Y, st, w, metric=metric)
        if not np.isfinite(cost):
            continue
        res = dtw(X, Y, steps=name, metric=metric)
        assert res.cost == pytest.approx(cost, rel=1e-9)
        np.testing.assert_array_equal(res.path, path)
        # a band that contains the optimal path gives the same answer
        near = [np.abs(path[:, 0] - i) <= 2 for i in range(n)]  # (slope2 paths skip rows)
        lo = np.array([path[k, 1].min() for k in near]) - 2
        hi = np.array([path[k, 1].max() for k in near]) + 3
        lo = np.minimum.accumulate(np.clip(lo, 0, m)[::-1])[::-1]
        hi = np.maximum.accumulate(np.clip(hi, 0, m))
        banded = dtw(X, Y, steps=name, metric=metric, band=(lo, hi))
        assert banded.cost == pytest.approx(cost, rel=1e-9) and banded.cells < n * m
        np.testing.assert_array_equal(banded.path, path)


@pytest.mark.parametrize("subsequence", [False, True])
@pytest.mark.parametrize("ties", [False, True])
def test_classic_rows_equal_naive_on_ragged_bands(rng, subsequence, ties):
    """The classic steps' row kernel (interior in one SIMD pass, ends cell by cell) on random monotone bands:
    narrow, wide, jumping, one cell wide; against the plain loop over the band's cells.  With small integer
    features (Euclidean) many candidates tie exactly, so the order in which ties are broken is tested too."""
    st, w = STEP_SETS["classic"]
    metric = "euclidean" if ties else "cosine"
    tried = 0
    for _ in range(60):
        n, m = int(rng.integers(2, 40)), int(rng.integers(2, 40))
        if ties:
            X, Y = rng.integers(0, 2, (3, n)).astype(float), rng.integers(0, 2, (3, m)).astype(float)
        else:
            X, Y = rng.random((5, n)), rng.random((5, m))
        centre = np.sort(rng.integers(0, m, n))
        lo = np.clip(centre - rng.integers(0, 6, n), 0, m - 1)
        hi = np.clip(centre + rng.integers(1, 7, n), 1, m)
        lo = np.minimum.accumulate(lo[::-1])[::-1]
        hi = np.maximum.accumulate(hi)
        lo[0], hi[-1] = 0, m
        kw = dict(cost_add=0.25, subsequence=subsequence, metric=metric)
        cost, path = naive(X, Y, st, w, band=(lo, hi), **kw)
        if not np.isfinite(cost):
            with pytest.raises(AlignmentError):
                dtw(X, Y, band=(lo, hi), **kw)
            continue
        res = dtw(X, Y, band=(lo, hi), **kw)
        assert res.cost == pytest.approx(cost, rel=1e-12)
        np.testing.assert_array_equal(res.path, path)
        tried += 1
    assert tried >= 20


def test_subsequence_equals_naive(rng):
    st, w = STEP_SETS["classic"]
    for _ in range(5):
        X, Y = rng.random((3, 40)), rng.random((3, 12))
        cost, path = naive(X, Y, st, w, subsequence=True)
        res = dtw(X, Y, subsequence=True)
        assert res.cost == pytest.approx(cost) and np.array_equal(res.path, path)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_onset_term_equals_naive(rng, metric):
    """The onset channel: ``onset_weight`` x the Euclidean distance of a second feature set, added to every cell."""
    st, w = STEP_SETS["classic"]
    for weight in (0.0, 0.75, 3.0):
        n, m = int(rng.integers(5, 30)), int(rng.integers(5, 30))
        X, Y = rng.random((4, n)), rng.random((4, m))
        ons = (rng.random((12, n)), rng.random((12, m)))
        cost, path = naive(X, Y, st, w, cost_add=0.3, metric=metric, onsets=ons, onset_weight=weight)
        res = dtw(X, Y, metric=metric, cost_add=0.3, onsets=ons, onset_weight=weight)
        assert res.cost == pytest.approx(cost, rel=1e-9)
        np.testing.assert_array_equal(res.path, path)
    with pytest.raises(ParameterError, match="onsets"):
        dtw(X, Y, onsets=(ons[0][:, :-1], ons[1]))
    with pytest.raises(ParameterError, match="onset_weight"):
        dtw(X, Y, onsets=ons, onset_weight=-1.0)


def test_textbook_example():
    # x = 1 2 3 3 5 against y = 1 2 2 3 5 (absolute difference, unit steps of weight 1): the path pairs each 2 of y
    # with x's 2 and each 3 of x with y's 3, at zero cost
    x = np.array([[1.0, 2, 3, 3, 5]])
    y = np.array([[1.0, 2, 2, 3, 5]])
    res = dtw(x, y, metric="euclidean", cost_add=0.0, steps=(np.array([[1, 1], [1, 0], [0, 1]]), np.ones(3)))
    assert res.cost == 0.0
    assert res.path.tolist() == [[0, 0], [1, 1], [1, 2], [2, 3], [3, 3], [4, 4]]


def test_multiscale_recovers_a_known_warp(rng):
    # OTHER = REF played with a smoothly varying tempo: the map is known exactly.  Features that change within a
    # few frames (random-walk features are poorly localised: on those the map strays up to ~230 ms in places,
    # which a median hides); dense generated features: no log compression
    from scipy.ndimage import uniform_filter1d

    rate, n = 50.0, 6000
    X = uniform_filter1d(rng.random((12, n)), 5, axis=1)
    t_other = np.arange(int(n * 0.9)) / rate
    t_ref = t_other / 0.9 + 2.0 * np.sin(2 * np.pi * t_other / 60.0)
    t_ref = np.clip(t_ref, 0, (n - 1) / rate)
    Y = np.stack([np.interp(t_ref * rate, np.arange(n), row) for row in X])
    wp = warp(X, Y, rate, compress=None, transpose=None)
    assert isinstance(wp, WarpPath) and len(wp.scales) > 1 and wp.cells < n * Y.shape[1] / 10
    probe = np.linspace(5, t_ref[-1] - 5, 200)
    err = np.abs(wp.transfer(probe) - np.interp(probe, t_ref, t_other))
    assert np.percentile(err, 95) < 1 / rate and err.max() < 1 / rate  # measured 8.9 and 10.8 ms
    assert np.all(np.diff(wp.path, axis=0) >= 0)


def test_bad_input():
    good = np.ones((12, 50))
    with pytest.raises(ParameterError, match="NaN"):
        warp(np.full((12, 50), np.nan), good, 50)
    with pytest.raises(ParameterError, match="frames"):
        warp(np.ones((12, 0)), good, 50)
    with pytest.raises(ParameterError, match="dimensions"):
        warp(np.ones((11, 50)), good, 50)
    with pytest.raises(ParameterError):
        dtw(good, good, steps="zigzag")
    with pytest.raises(AlignmentError, match="no path"):
        dtw(good, good, band=(np.zeros(50, int), np.ones(50, int)))  # never reaches the last column


def test_transposition_is_found(rng):
    X = np.abs(np.cumsum(rng.standard_normal((12, 3000)), axis=1))
    Y = np.roll(X[:, ::2], 3, axis=0)  # twice the tempo, three semitones up
    wp = warp(X, Y, 50)
    assert wp.chroma_shift == 9  # rolling OTHER by 9 more bins undoes the +3
    assert np.abs(wp.transfer(np.arange(5, 55)) - np.arange(5, 55) / 2).max() <= 0.02
    # forced not to transpose, the path is barely better than chance: refused, unless the guard is lifted
    with pytest.raises(AlignmentError, match="no better than chance"):
        warp(X, Y, 50, transpose=None)
    assert warp(X, Y, 50, transpose=None, max_contrast=1.0).chroma_shift == 0


def test_seeded_by_an_offset(rng):
    # OTHER starts 30 s into REF's music and wobbles around that offset: an unseeded DTW must match the two
    # starts; seeded with the offset, only the overlap is warped and the map is right throughout it
    from scipy.ndimage import uniform_filter1d

    rate, n = 50.0, 9000
    X = uniform_filter1d(rng.random((12, n)), 5, axis=1)  # features that change within a few frames
    t_other = np.arange(int(100 * rate)) / rate
    t_ref = 30.0 + t_other + 0.3 * np.sin(2 * np.pi * t_other / 20.0)
    Y = np.stack([np.interp(t_ref * rate, np.arange(n), row) for row in X])
    wp = warp(X, Y, rate, offset_s=30.0, transpose=None, compress=None)  # dense features: no log compression
    probe = np.linspace(35, 125, 100)
    err = np.abs(wp.transfer(probe) - np.interp(probe, t_ref, t_other))
    assert np.percentile(err, 95) < 1 / rate and err.max() < 1 / rate  # measured 7.1 ms both
    assert wp.path[0, 0] == int(30 * rate) and wp.n_ref == n
    with pytest.raises(AlignmentError, match="overlap"):
        warp(X, Y, rate, offset_s=500.0)
