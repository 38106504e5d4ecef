"""The band the DTW kernel is measured on (bench_dtw.py's kernel row, ab_dtw_kernel.py)."""

from __future__ import annotations

import numpy as np


def band_around(path: np.ndarray, n: int, m: int, radius: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """+-``radius`` frames of OTHER around a warping path (REF frame, OTHER frame), monotone, from (0, 0) to
    (n - 1, m - 1): the final scale's work of a multiscale DTW."""
    c = np.round(np.interp(np.arange(n), path[:, 0], path[:, 1])).astype(np.int64)
    lo = np.minimum.accumulate(np.clip(c - radius, 0, m)[::-1])[::-1]
    hi = np.maximum.accumulate(np.clip(c + radius + 1, 0, m))
    lo[0], hi[-1] = 0, m
    return lo, hi
