"""Multicam: place every recording on one timeline from pairwise offsets (weighted least squares on the pair graph)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..exceptions import ParameterError
from ..types import PairOffset, Timeline

#: A pair whose offset disagrees with the fitted placements by more than this is dropped, when the graph
#: stays connected without it (a false match that a cycle of other pairs contradicts).
DEFAULT_MAX_RESIDUAL_S = 0.005


def _components(n: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    label = list(range(n))

    def find(i: int) -> int:
        while label[i] != i:
            label[i] = label[label[i]]
            i = label[i]
        return i

    for a, b in edges:
        label[find(a)] = find(b)
    return [find(i) for i in range(n)]


def _hops(n: int, ref: int, edges: Sequence[tuple[int, int]]) -> list[int | None]:
    adj: list[list[int]] = [[] for _ in range(n)]
    for a, b in edges:
        adj[a].append(b)
        adj[b].append(a)
    dist: list[int | None] = [None] * n
    dist[ref] = 0
    frontier = [ref]
    while frontier:
        nxt = []
        for i in frontier:
            for j in adj[i]:
                if dist[j] is None:
                    dist[j] = dist[i] + 1  # type: ignore[operator]
                    nxt.append(j)
        frontier = nxt
    return dist


def _fit(n: int, ref: int, pairs: Sequence[PairOffset], keep: Sequence[bool], placed: Sequence[bool]) -> np.ndarray:
    """Weighted least squares for the starts of the placed files, ``start[ref] = 0``; weights = confidence."""
    idx = [i for i in range(n) if placed[i] and i != ref]
    col = {i: k for k, i in enumerate(idx)}
    rows = [(p, k) for p, k in zip(pairs, keep, strict=True) if k and placed[p.a] and placed[p.b]]
    a = np.zeros((len(rows), len(idx)))
    y = np.zeros(len(rows))
    for r, (p, _) in enumerate(rows):
        w = np.sqrt(max(p.confidence, 1e-3))
        if p.b in col:
            a[r, col[p.b]] += w
        if p.a in col:
            a[r, col[p.a]] -= w
        y[r] = w * p.offset_s
    sol = np.linalg.lstsq(a, y, rcond=None)[0] if idx else np.zeros(0)
    starts = np.full(n, np.nan)
    starts[ref] = 0.0
    for i, k in col.items():
        starts[i] = sol[k]
    return starts


def solve_timeline(
    n: int, pairs: Sequence[PairOffset], ref: int = 0, max_residual_s: float = DEFAULT_MAX_RESIDUAL_S
) -> Timeline:
    """Place ``n`` files on the timeline of file ``ref`` from pairwise offsets.

    Each pair says ``start_b - start_a = offset_s``.  The starts are the confidence-weighted least-squares
    solution over the connected part of the pair graph that holds REF, so that a file that shares no content
    with REF is still placed through the files it does share content with.  A pair whose residual exceeds
    ``max_residual_s`` is dropped (worst first, then the fit is redone) when the files stay connected without it.

    Parameters
    ----------
    n : int
        Number of files.
    pairs : sequence of PairOffset
        Pairwise estimates, ``a`` and ``b`` in ``0..n-1``, ``a != b``.
    ref : int
        The file whose timeline is kept.
    max_residual_s : float
        Largest residual a pair may keep when another path contradicts it.

    Returns
    -------
    Timeline
    """
    if n < 1 or not 0 <= ref < n:
        raise ParameterError(f"solve_timeline: ref {ref} is not one of {n} files")
    for p in pairs:
        if not (0 <= p.a < n and 0 <= p.b < n) or p.a == p.b or not np.isfinite(p.offset_s):
            raise ParameterError(f"solve_timeline: bad pair {p}")
    if max_residual_s <= 0:
        raise ParameterError("solve_timeline: max_residual_s must be > 0")
    keep = [True] * len(pairs)
    while True:
        edges = [(p.a, p.b) for p, k in zip(pairs, keep, strict=True) if k]
        comp = _components(n, edges)
        placed = [c == comp[ref] for c in comp]
        starts = _fit(n, ref, pairs, keep, placed)
        res = np.array([p.offset_s - (starts[p.b] - starts[p.a]) for p in pairs])
        worst = None
        for k in np.argsort(-np.nan_to_num(np.abs(res), nan=-1.0)):
            if not keep[k] or not np.isfinite(res[k]) or abs(res[k]) <= max_residual_s:
                continue
            trial = [(p.a, p.b) for j, p in enumerate(pairs) if keep[j] and j != k]
            c2 = _components(n, trial)
            if c2[pairs[k].a] == c2[pairs[k].b]:  # another path links them: the pair is contradicted
                worst = int(k)
                break
        if worst is None:
            break
        keep[worst] = False
    hops = _hops(n, ref, [(p.a, p.b) for p, k in zip(pairs, keep, strict=True) if k])
    return Timeline(
        ref=ref,
        starts_s=tuple(None if not np.isfinite(s) else float(s) for s in starts),
        pairs=tuple(pairs),
        used=tuple(keep),
        residuals_s=tuple(float(r) for r in res),
        hops=tuple(hops),
    )
