"""Order statistics the align path needs, without NumPy's lazy import of ``numpy.ma``."""

from __future__ import annotations

import numpy as np


def median(x: np.ndarray) -> float:
    """``float(np.median(x))`` of the flattened ``x``, to the bit (NaN if any value is NaN or ``x`` is empty).

    ``np.median`` imports ``numpy.ma`` on its first call (its NaN check asks ``np.ma.isMaskedArray``): 20 ms of
    a ``syncmm align`` process's wall and CPU time for nothing.  This is the same partition and the same mean of
    the middle two.

    Parameters
    ----------
    x : array-like
        Values (any shape; flattened).

    Returns
    -------
    float
    """
    a = np.asarray(x).ravel()
    n = a.size
    if n == 0:
        return float("nan")
    k = n // 2
    kth = [k - 1, k] if n % 2 == 0 else [k]
    inexact = np.issubdtype(a.dtype, np.inexact)
    if inexact:
        kth.append(n - 1)  # NaNs partition to the end: the last value tells
    p = np.partition(a, kth)
    if inexact and np.isnan(p[-1]):
        return float("nan")
    return float(np.mean(p[k - 1 : k + 1] if n % 2 == 0 else p[k : k + 1]))  # (a mean of one too: -0.0 gives 0.0)
