"""numba kernels for banded DTW (private; the validated wrappers are in dtw.py).

The band is given per REF row ``i`` as OTHER columns ``lo[i] <= j < hi[i]``; row ``i``'s cells are stored at
``offs[i] .. offs[i+1]`` of flat arrays, so memory is the band's size, never N x M.  The local cost is
computed on the fly from the feature rows (``X[i]``, ``Y[j]``, unit-norm for the cosine metric).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, fastmath=True)
def _row_cost(X, Yt, Xo, Yot, ow, i, a, b, metric, cost_add, out, e2):  # pragma: no cover - compiled
    """Local costs of REF frame ``i`` against OTHER frames ``a..b-1`` into ``out[:b-a]`` (SIMD over frames):
    the metric on ``X``/``Yt`` plus ``ow`` times the Euclidean distance of the onset rows ``Xo``/``Yot``
    (none when they have no columns).  The OTHER rows are taken as 1-D views: indexing ``Yt[k, a + t]``
    kept the loops scalar (numba's negative-index handling), 1.5x slower."""
    w = b - a
    for t in range(w):
        out[t] = 0.0
    d = X.shape[1]
    if metric == 0:  # cosine distance of unit vectors
        for k in range(d):
            x = X[i, k]
            yk = Yt[k, a:b]
            for t in range(w):
                out[t] += x * yk[t]
        for t in range(w):
            out[t] = cost_add + 1.0 - out[t]
    else:  # euclidean
        for k in range(d):
            x = X[i, k]
            yk = Yt[k, a:b]
            for t in range(w):
                e = x - yk[t]
                out[t] += e * e
        for t in range(w):
            out[t] = cost_add + np.sqrt(out[t])
    do = Xo.shape[1]
    if do > 0:
        for t in range(w):
            e2[t] = 0.0
        for k in range(do):
            x = Xo[i, k]
            yk = Yot[k, a:b]
            for t in range(w):
                e = x - yk[t]
                e2[t] += e * e
        for t in range(w):
            out[t] += ow * np.sqrt(e2[t])


@njit(cache=True)
def _band_accumulate(X, Yt, Xo, Yot, ow, lo, hi, offs, steps, weights, cost_add, metric, subseq, D, B):  # noqa: E501  # pragma: no cover
    """Fill the accumulated cost ``D`` and the chosen step ``B`` (-1: a start cell) over the band.

    ``Yt`` is OTHER's features transposed, (d, M), so that a row's local costs vectorise; ``Xo``/``Yot`` the
    onset rows (N, k) and (k, M), weight ``ow`` (k = 0: none).
    """
    N = X.shape[0]
    S = steps.shape[0]
    inf = np.inf
    plo = np.empty(S, np.int64)  # per step: band of the predecessor row
    phi = np.empty(S, np.int64)
    pbase = np.empty(S, np.int64)
    wmax = 1
    for i in range(N):
        wmax = max(wmax, hi[i] - lo[i])
    cr = np.empty(wmax)
    e2 = np.empty(wmax)
    classic = (S == 3 and steps[0, 0] == 1 and steps[0, 1] == 1 and steps[1, 0] == 1 and steps[1, 1] == 0
               and steps[2, 0] == 0 and steps[2, 1] == 1)  # fmt: skip
    for i in range(N):
        base = offs[i] - lo[i]
        for s in range(S):
            pi = i - steps[s, 0]
            if pi < 0:
                plo[s], phi[s], pbase[s] = 0, 0, 0
            else:
                plo[s], phi[s], pbase[s] = lo[pi], hi[pi], offs[pi] - lo[pi]
        _row_cost(X, Yt, Xo, Yot, ow, i, lo[i], hi[i], metric, cost_add, cr, e2)
        if classic:
            _row_classic(D, B, cr, i, lo[i], hi[i], base, plo[0], phi[0], pbase[0], weights, subseq)
            continue
        for j in range(lo[i], hi[i]):
            c = cr[j - lo[i]]
            best = inf
            bs = -1
            if j == 0 and (i == 0 or subseq):
                best = c  # a start: (0, 0), or any REF row in subsequence mode
            for s in range(S):
                pj = j - steps[s, 1]
                if pj < plo[s] or pj >= phi[s]:
                    continue
                v = D[pbase[s] + pj] + weights[s] * c
                if v < best:
                    best = v
                    bs = s
            D[base + j] = best
            B[base + j] = bs


@njit(cache=True)
def _row_classic(D, B, cr, i, lo_i, hi_i, base, plo, phi, pbase, weights, subseq):  # pragma: no cover - compiled
    """One row for the steps (1,1), (1,0), (0,1), with the generic loop's candidate order and ties.

    A cell's start, diagonal and vertical candidates do not depend on the row's other cells: where both of
    its predecessors lie in the band (the row's interior) they are one SIMD pass of compare-and-select, the
    row's ends are done cell by cell, and only the horizontal step, which needs the cell before, is a serial
    loop.  (The one loop with three branches per cell ran at 7e7 cells/s; this at 1.8e8.)
    """
    inf = np.inf
    w0, w1, w2 = weights[0], weights[1], weights[2]
    Dr = D[base + lo_i : base + hi_i]
    Br = B[base + lo_i : base + hi_i]
    j0 = j1 = hi_i  # interior: (i-1, j-1) and (i-1, j) both in the band for j0 <= j < j1
    if i > 0:
        j0 = min(max(lo_i, plo + 1), hi_i)
        j1 = max(min(hi_i, phi), j0)
    for part in range(2):
        ja, jb = (lo_i, j0) if part == 0 else (j1, hi_i)
        for j in range(ja, jb):
            c = cr[j - lo_i]
            best = inf
            bs = -1
            if j == 0 and (i == 0 or subseq):
                best = c  # a start: (0, 0), or any REF row in subsequence mode
            if i > 0:
                if plo <= j - 1 < phi:
                    v = D[pbase + j - 1] + w0 * c
                    if v < best:
                        best = v
                        bs = 0
                if plo <= j < phi:
                    v = D[pbase + j] + w1 * c
                    if v < best:
                        best = v
                        bs = 1
            Dr[j - lo_i] = best
            Br[j - lo_i] = bs
    if j1 > j0:
        Dd = D[pbase + j0 - 1 : pbase + j1 - 1]
        Du = D[pbase + j0 : pbase + j1]
        c = cr[j0 - lo_i : j1 - lo_i]
        m = Dr[j0 - lo_i : j1 - lo_i]
        s = Br[j0 - lo_i : j1 - lo_i]
        for t in range(j1 - j0):
            v = Dd[t] + w0 * c[t]
            k = v < inf
            best = v if k else inf
            bs = 0 if k else -1
            v = Du[t] + w1 * c[t]
            k = v < best
            m[t] = v if k else best
            s[t] = 1 if k else bs
    left = inf
    for t in range(hi_i - lo_i):
        v = left + w2 * cr[t]
        m0 = Dr[t]
        k = v < m0
        left = v if k else m0
        Dr[t] = left
        Br[t] = 2 if k else Br[t]


@njit(cache=True)
def _backtrack(lo, offs, steps, B, i_end, j_end):  # pragma: no cover - compiled
    """The path from a start cell to ``(i_end, j_end)``, as a (K, 2) array in increasing order."""
    n = i_end + j_end + 2
    out = np.empty((n, 2), np.int64)
    k = 0
    i = i_end
    j = j_end
    while True:
        out[k, 0] = i
        out[k, 1] = j
        k += 1
        s = B[offs[i] + j - lo[i]]
        if s < 0:
            break
        i -= steps[s, 0]
        j -= steps[s, 1]
    return out[:k][::-1].copy()
