"""The robust pieces of the drift fit: a Theil-Sen line, runs of consistent window offsets, and where on the
waveforms one offset line stops holding and the next starts (a discontinuity, to about 10 ms)."""

from __future__ import annotations

import numpy as np

from ..dsp.stats import median
from ..types import SampleSource


def theil_sen(t: np.ndarray, o: np.ndarray) -> tuple[float, float]:
    """Median-of-pairwise-slopes line fit ``o = a + b t``; returns ``(a, b)``."""
    t = np.asarray(t, np.float64)
    o = np.asarray(o, np.float64)
    if len(t) == 1:
        return float(o[0]), 0.0
    i, j = np.triu_indices(len(t), 1)
    dt = t[j] - t[i]
    ok = np.abs(dt) > 1e-9
    b = median((o[j] - o[i])[ok] / dt[ok]) if ok.any() else 0.0
    a = median(o - b * t)
    return a, b


def _runs(t: np.ndarray, o: np.ndarray, jump_s: float) -> list[np.ndarray]:
    """Split consecutive measurements where the offset jumps by more than the drift explains."""
    if len(t) < 2:
        return [np.arange(len(t))]
    d = np.diff(o)
    dt = np.diff(t)
    slope = median(d / np.where(dt > 0, dt, np.inf))
    dev = d - slope * dt
    mad = median(np.abs(dev - median(dev))) * 1.4826
    thr = max(jump_s, 6 * mad)
    cuts = np.flatnonzero(np.abs(dev) > thr) + 1
    return np.split(np.arange(len(t)), cuts)


def _changepoints_wave(x: SampleSource, y: SampleSource, sr, line_a, line_b, t_lo, t_hi, t0_x, t0_y, frame_s=0.01):
    """REF times where OTHER stops matching under offset line A and starts matching under line B.

    Each line ``(a, b)`` gives the local offset ``a + b t``; OTHER is resampled onto REF's samples under
    each, and the normalised waveform correlation per 10-ms frame says where each one holds.  Frames
    without signal are neutral (no evidence either way).
    """
    from ..dsp.resample import resample_at

    i_lo = max(0, int((t_lo - t0_x) * sr))
    i_hi = min(len(x), int((t_hi - t0_x) * sr))
    if i_hi - i_lo < 2 * sr * frame_s:
        mid = (t_lo + t_hi) / 2
        return mid, mid
    xs = np.asarray(x[i_lo:i_hi], np.float64)
    t = t0_x + np.arange(i_lo, i_hi) / sr
    hop = int(sr * frame_s)
    nf = len(xs) // hop
    scores = []
    for a, b in (line_a, line_b):
        pos = (t - (a + b * t) - t0_y) * sr  # OTHER sample of each REF sample
        j_lo = max(0, int(np.floor(pos.min())) - 64)
        j_hi = min(len(y), int(np.ceil(pos.max())) + 64)
        if j_hi <= j_lo:
            scores.append(np.full(nf, 0.0))
            continue
        ys = resample_at(np.asarray(y[j_lo:j_hi], np.float64), pos - j_lo).astype(np.float64)
        xf = xs[: nf * hop].reshape(nf, hop)
        yf = ys[: nf * hop].reshape(nf, hop)
        ex, ey = (xf * xf).sum(1), (yf * yf).sum(1)
        c = (xf * yf).sum(1) / np.sqrt(ex * ey + 1e-30)
        quiet = (ex < 1e-7 * hop) | (ey < 1e-7 * hop)
        scores.append(np.where(quiet, 0.5, c))
    sa, sb = scores
    end_a = int(np.argmax(np.concatenate([[0.0], np.cumsum(sa - 0.5)])))
    start_b = nf - int(np.argmax(np.concatenate([[0.0], np.cumsum((sb - 0.5)[::-1])])))
    start_b = max(start_b, end_a)
    return t0_x + (i_lo + end_a * hop) / sr, t0_x + (i_lo + start_b * hop) / sr
