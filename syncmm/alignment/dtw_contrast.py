"""Is a DTW path better than chance?  The mean cost along the path against the same REF frames matched with
OTHER frames displaced along it (:func:`path_contrast`), and the feature helpers the multiscale driver shares."""

from __future__ import annotations

import numpy as np


def _local_costs(A: np.ndarray, B: np.ndarray, metric: int) -> np.ndarray:
    """Local costs of paired rows (the kernel's: cosine distance of unit rows, or Euclidean distance)."""
    if metric == 0:
        return 1.0 - np.einsum("ij,ij->i", A, B)
    return np.linalg.norm(A - B, axis=1)


def path_contrast(R: np.ndarray, Q: np.ndarray, path: np.ndarray, metric: int, shifts: int = 8) -> float:
    """How much better the path's pairs match than chance: the mean local cost along ``path`` divided by
    the mean over ``shifts`` circular displacements of OTHER's frames (spread over its length) of the same
    REF frames' cost.  About 1 for unrelated inputs (DTW still finds a path a little under chance), well below
    1 for two renditions of one piece."""
    i, j = path[:, 0], path[:, 1]
    on = float(_local_costs(R[i], Q[j], metric).mean())
    m = len(Q)
    ks = sorted({int(k) for k in (np.arange(1, shifts + 1) * m) // (shifts + 1)} - {0})
    if not ks:
        return 1.0
    off = float(np.mean([_local_costs(R[i], Q[(j + k) % m], metric).mean() for k in ks]))
    return on / off if off > 1e-12 else 1.0


def _compress(F: np.ndarray, gamma: float) -> np.ndarray:
    n = np.linalg.norm(F, axis=0, keepdims=True)
    return np.log1p(gamma * F / np.where(n < 1e-12, 1.0, n))


def _roll(F: np.ndarray, k: int) -> np.ndarray:
    """Roll each block of 12 pitch classes by ``k`` bins."""
    if k == 0:
        return F
    d = F.shape[0]
    return np.concatenate([np.roll(F[b : b + 12], k, axis=0) for b in range(0, d, 12)], axis=0)
