"""Band-limited resampling at arbitrary positions: shifts, clock-drift correction, simulated drift.

A Kaiser-windowed sinc (``half`` taps each side, ~90 dB stop band with the default beta) tabulated at
``oversample`` phases with linear interpolation between them, evaluated by a small numba kernel.
"""

from __future__ import annotations

import functools

import numpy as np

from ..exceptions import ParameterError

DEFAULT_HALF = 24
_OVERSAMPLE = 512


@functools.lru_cache(maxsize=8)
def _table(half: int, cutoff: float, beta: float) -> np.ndarray:
    x = np.arange(half * _OVERSAMPLE + 2) / _OVERSAMPLE
    w = np.kaiser(2 * len(x) - 1, beta)[len(x) - 1 :]
    t = cutoff * np.sinc(cutoff * x) * w
    t[x >= half] = 0.0
    return t.astype(np.float64)


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
    y : np.ndarray [shape=(n,)]
        Samples.
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
    np.ndarray [shape=(m,), dtype=float32]
    """
    y = np.asarray(y)
    positions = np.asarray(positions, np.float64)
    if y.ndim != 1 or positions.ndim != 1:
        raise ParameterError("resample_at expects 1-D arrays")
    if not np.isfinite(positions).all():
        raise ParameterError("positions must be finite")
    if not 2 <= half <= 256 or not 0 < cutoff <= 1:
        raise ParameterError("half must be in 2..256 and cutoff in (0, 1]")
    from ._resample_kernels import _interp_at

    out = np.empty(len(positions), np.float64)
    _interp_at(np.ascontiguousarray(y, np.float64), positions, _table(half, cutoff, beta), half, _OVERSAMPLE, out)
    return out.astype(np.float32)
