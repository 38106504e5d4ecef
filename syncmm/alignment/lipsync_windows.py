"""Lip sync over the windows of a long file, and where the sync steps (arrays in, dataclasses out)."""

from __future__ import annotations

import numpy as np

from ..types import LipSegment as Segment
from .cca import BlockStats, held_out, interleaved
from .lipsync_model import FOLD_S, N_FOLDS, RATE, RIDGE, WINDOW_CONFIDENCE, decide

SEGMENT_S = 10.0  # per-window estimates over windows of this many seconds of picture, every half window


def scan(stats: BlockStats, cols: list, blocks=slice(None)) -> tuple[np.ndarray, np.ndarray]:
    """The primary and partner curves over the given blocks, interleaved folds."""
    out = []
    for xs, ys in cols:
        st = stats.subset(xs, ys, blocks)
        out.append(held_out(st, interleaved(len(st.nf), N_FOLDS), RIDGE).curve())
    return out[0], out[1]


def windows(
    stats: BlockStats,
    grid: np.ndarray,
    K: int,
    cols: list,
    method: str,
    bias: float,
    segment_s: float,
    min_confidence: float,
) -> tuple[tuple[Segment, ...], tuple[float, float, float] | None]:
    """Per-window estimates over windows of ``segment_s`` every ``segment_s / 2``, each window treated as a
    clip of its own (same folds, same calibration), and where the sync steps: between two runs of at least two
    decided windows (undecided ones skipped) that agree within 40 ms inside each run and differ by more than
    60 ms, at the 1-s block boundary that best splits them.  Returns the windows and, when the sync steps,
    (where, the offset of the longest run, its weakest window's confidence)."""
    per = int(round(segment_s / FOLD_S))
    hop = max(1, per // 2)
    nb = len(stats.nf)
    if nb < 2 * per:
        return (), None
    starts = list(range(0, nb - per + 1, hop))
    segs, spans = [], []
    for i, a in enumerate(starts):
        b = nb if i == len(starts) - 1 else a + per  # the last window takes the remainder
        c1, c2 = scan(stats, cols, slice(a, b))
        _, lag, _, _, conf = decide(c1, c2, float(stats.nf[a:b].sum() / RATE), K, method)
        off = float(-lag - bias) if conf >= max(min_confidence, WINDOW_CONFIDENCE) else None
        end = len(grid) / RATE if b == nb else b * FOLD_S
        segs.append(Segment(float(grid[0] + a * FOLD_S), float(grid[0] + end), off, conf))
        spans.append((a, b))
    runs = _runs(segs)
    for (_, i1, la), (j0, _, lb) in zip(runs, runs[1:], strict=False):
        if abs(la - lb) > 0.06:  # the first change of level
            ka, kb = int(round(-(la + bias) * RATE)) + K, int(round(-(lb + bias) * RATE)) + K
            lo, hi = spans[i1][0], spans[j0][1]  # the step lies between the two runs
            step = float(grid[0] + _step_block(stats.subset(*cols[0]), lo, hi, ka, kb) * FOLD_S)
            first, last, level = max(runs, key=lambda r: r[1] - r[0])  # the level over most of the file
            weakest = min(g.confidence for g in segs[first : last + 1] if g.offset_s is not None)
            return tuple(segs), (step, level, weakest)
    return tuple(segs), None


def _step_block(st: BlockStats, lo: int, hi: int, ka: int, kb: int) -> int:
    """The block boundary in ``lo..hi`` where the sync changes from lag index ``ka`` to ``kb``: the mouth and
    sound projections of each level are fitted on its own side (before ``lo`` at ``ka``, after ``hi`` at
    ``kb``; the whole file when a side is empty), and each block between is scored with both."""

    def fit(blocks, k):
        Cxx = st.Xx[blocks].sum(0) / max(st.nf[blocks].sum(), 1.0) + RIDGE * np.eye(st.Xx.shape[1])
        Lx = np.linalg.inv(np.linalg.cholesky(Cxx))
        Ly = np.linalg.inv(np.linalg.cholesky(st.Cyy + RIDGE * np.eye(st.Cyy.shape[0])))
        M = Lx @ (st.C[blocks, k].sum(0) / max(st.nf[blocks].sum(), 1.0)) @ Ly.T
        U, _, Vt = np.linalg.svd(M, full_matrices=False)
        return Lx.T @ U[:, 0], Ly.T @ Vt[0]

    nb = len(st.nf)
    wa = fit(slice(0, lo) if lo > 0 else slice(None), ka)
    wb = fit(slice(hi, nb) if hi < nb else slice(None), kb)

    def score(w, k):
        wx, wy = w
        num = np.einsum("i,bij,j->b", wx, st.C[lo:hi, k], wy)
        vx = np.einsum("i,bij,j->b", wx, st.Xx[lo:hi], wx)
        return num / np.sqrt(max(vx.sum(), 1e-30) * float(wy @ st.Cyy @ wy) * max(st.nf[lo:hi].sum(), 1.0))

    gain = np.cumsum(score(wa, ka) - score(wb, kb))
    return lo + int(np.argmax(gain)) + 1


def _runs(segs: list[Segment]) -> list[tuple[int, int, float]]:
    """Runs of >= 2 decided windows (undecided ones between them skipped) within 40 ms of the previous one:
    (index of the first, index of the last, median offset)."""
    got = [(i, g.offset_s) for i, g in enumerate(segs) if g.offset_s is not None]
    out, i = [], 0
    while i < len(got):
        j = i
        while j + 1 < len(got) and abs(got[j + 1][1] - got[j][1]) <= 0.04:
            j += 1
        if j > i:
            out.append((got[i][0], got[j][0], float(np.median([o for _, o in got[i : j + 1]]))))
        i = j + 1
    return out


def confirmed_out_of(segments: tuple[Segment, ...], tolerance_s: float) -> list[Segment]:
    """Windows out of ``tolerance_s`` that a neighbouring window confirms (both decided and out): a single
    window is not enough evidence to fail a file on."""
    out = []
    for i, g in enumerate(segments):
        if g.offset_s is None or abs(g.offset_s) <= tolerance_s:
            continue
        near = [segments[j] for j in (i - 1, i + 1) if 0 <= j < len(segments)]
        if any(h.offset_s is not None and abs(h.offset_s) > tolerance_s for h in near):
            out.append(g)
    return out
