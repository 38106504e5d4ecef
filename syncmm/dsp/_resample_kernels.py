"""numba kernel for band-limited interpolation at arbitrary positions (private; see resample.py)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _interp_at(y, pos, table, half, oversample, out):  # pragma: no cover - compiled
    n = y.shape[0]
    lim = half * oversample
    for i in range(pos.shape[0]):
        p = pos[i]
        k0 = int(np.floor(p))
        frac = p - k0
        acc = 0.0
        for k in range(-half + 1, half + 1):
            idx = k0 + k
            if idx < 0 or idx >= n:
                continue
            ax = abs(k - frac) * oversample
            j = int(ax)
            if j >= lim:
                continue
            w = table[j] + (ax - j) * (table[j + 1] - table[j])
            acc += y[idx] * w
        out[i] = acc
