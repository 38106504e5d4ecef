"""numba kernel for band-limited interpolation at arbitrary positions (private; see resample.py)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, fastmath=True)
def _interp_at(y, pos, bank, out):  # pragma: no cover - compiled
    """``out[c, i] = sum_k y[c, k] * h(pos[i] - k)``.

    ``bank[ph, t]`` holds the kernel at tap ``t`` for the fractional phase ``ph / (len(bank) - 1)``; the taps
    of a position interpolate linearly between its two nearest phases and serve all channels.
    """
    nch, n = y.shape
    nph = bank.shape[0] - 1
    taps = bank.shape[1]
    half = taps // 2
    for i in range(pos.shape[0]):
        p = pos[i]
        k0 = int(np.floor(p))
        phf = (p - k0) * nph
        ph = min(int(phf), nph - 1)
        f = phf - ph
        w0 = bank[ph]
        w1 = bank[ph + 1]
        a = k0 - half + 1
        if a >= 0 and a + taps <= n:
            for c in range(nch):
                acc = 0.0
                for t in range(taps):
                    acc += y[c, a + t] * (w0[t] + f * (w1[t] - w0[t]))
                out[c, i] = acc
        else:
            for c in range(nch):
                acc = 0.0
                for t in range(taps):
                    idx = a + t
                    if 0 <= idx < n:
                        acc += y[c, idx] * (w0[t] + f * (w1[t] - w0[t]))
                out[c, i] = acc
