"""Band-limited resampling at arbitrary positions: shifts, clock-drift correction, simulated drift.

A Kaiser-windowed sinc (``half`` taps each side, ~90 dB stop band with the default beta) tabulated at
``oversample`` phases with linear interpolation between them, evaluated by a small numba kernel for
long signals and by vectorised NumPy for short ones (identical results; the tests check both).
"""

from __future__ import annotations

import functools

import numpy as np

from ..exceptions import ParameterError

DEFAULT_HALF = 24
_OVERSAMPLE = 512
_NUMPY_BELOW = 200_000  # positions x half-width below which NumPy beats loading the numba kernel


@functools.lru_cache(maxsize=8)
def _table(half: int, cutoff: float, beta: float) -> np.ndarray:
    x = np.arange(half * _OVERSAMPLE + 2) / _OVERSAMPLE
    w = np.kaiser(2 * len(x) - 1, beta)[len(x) - 1 :]
    t = cutoff * np.sinc(cutoff * x) * w
    t[x >= half] = 0.0
    return t.astype(np.float64)


@functools.lru_cache(maxsize=8)
def _bank(half: int, cutoff: float, beta: float) -> np.ndarray:
    """The table re-arranged by phase: ``bank[ph, t]`` is the kernel at distance ``(t - half + 1) - ph/OS``."""
    table = _table(half, cutoff, beta)
    ax = np.abs(np.arange(-half + 1, half + 1)[None, :] - np.arange(_OVERSAMPLE + 1)[:, None] / _OVERSAMPLE)
    j = np.rint(ax * _OVERSAMPLE).astype(np.int64)  # exact grid points of the table
    return np.where(j <= half * _OVERSAMPLE, table[np.minimum(j, len(table) - 1)], 0.0)


def sinc_kernel(x: np.ndarray, half: int = DEFAULT_HALF, cutoff: float = 0.97, beta: float = 9.0) -> np.ndarray:
    """The exact interpolation kernel at distances ``x`` (samples): the NumPy reference of the table."""
    x = np.abs(np.asarray(x, np.float64))
    n = half * _OVERSAMPLE + 2
    w = np.i0(beta * np.sqrt(np.clip(1 - (x * _OVERSAMPLE / (n - 1)) ** 2, 0, None))) / np.i0(beta)
    return np.where(x < half, cutoff * np.sinc(cutoff * x) * w, 0.0)


def resample_at(
    y: np.ndarray, positions: np.ndarray, half: int = DEFAULT_HALF, cutoff: float = 0.97, beta: float = 9.0
) -> np.ndarray:
    """Evaluate the band-limited signal ``y`` at fractional sample ``positions``.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)]
        Samples (several channels share the interpolation taps).
    positions : np.ndarray [shape=(m,)]
        Where to evaluate, in samples of ``y`` (outside ``[0, n)`` the signal is zero).
    half : int
        Taps on each side.
    cutoff : float
        Low-pass cut-off as a fraction of Nyquist (below 1 to leave room for the window's transition).
    beta : float
        Kaiser window parameter.

    Returns
    -------
    np.ndarray [shape=(m,) or (channels, m), dtype=float32]
    """
    y = np.asarray(y)
    positions = np.asarray(positions, np.float64)
    if y.ndim not in (1, 2) or positions.ndim != 1:
        raise ParameterError("resample_at expects y of shape (n,) or (channels, n) and 1-D positions")
    if not np.isfinite(positions).all():
        raise ParameterError("positions must be finite")
    if not 2 <= half <= 256 or not 0 < cutoff <= 1:
        raise ParameterError("half must be in 2..256 and cutoff in (0, 1]")
    table = _table(half, cutoff, beta)
    y2 = y.reshape(1, -1) if y.ndim == 1 else y
    if len(positions) * half * len(y2) <= _NUMPY_BELOW:
        out = np.stack([_interp_numpy(np.asarray(c, np.float64), positions, table, half) for c in y2])
    else:
        from ._resample_kernels import _interp_at  # numba: long signals only (its import costs ~0.3 s)

        out = np.empty((len(y2), len(positions)), np.float32)
        _interp_at(np.ascontiguousarray(y2, np.float32), positions, _bank(half, cutoff, beta), out)
    return out[0] if y.ndim == 1 else out


def _interp_numpy(y: np.ndarray, positions: np.ndarray, table: np.ndarray, half: int) -> np.ndarray:
    """The same interpolation vectorised with NumPy, in blocks (short signals: no JIT to load)."""
    out = np.empty(len(positions), np.float32)
    offs = np.arange(-half + 1, half + 1)
    lim = half * _OVERSAMPLE
    for a in range(0, len(positions), 8192):
        p = positions[a : a + 8192]
        k0 = np.floor(p).astype(np.int64)
        idx = k0[:, None] + offs[None, :]
        ax = np.abs(offs[None, :] - (p - k0)[:, None]) * _OVERSAMPLE
        j = np.minimum(ax.astype(np.int64), lim)
        w = table[j] + (ax - j) * (table[np.minimum(j + 1, lim + 1)] - table[j])
        w[(j >= lim) | (idx < 0) | (idx >= len(y))] = 0.0
        out[a : a + len(p)] = (y[np.clip(idx, 0, len(y) - 1)] * w).sum(axis=1)
    return out
