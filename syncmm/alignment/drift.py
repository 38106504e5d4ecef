"""Clock drift and discontinuities: offsets measured in windows along the overlap, a robust line fit.

Model (README "Drift"): ``t_OTHER = (t_REF - offset_s) * (1 + d)`` with ``d = drift_ppm * 1e-6``, so the
local offset at REF time ``t`` is ``o(t) = t - t_OTHER = offset_s * (1 + d) - d * t``: a line of slope
``-d``.  Windows whose offset jumps away from their neighbours split the overlap into consistent runs;
the line is fitted (Theil-Sen) to the longest run and every jump is reported as a discontinuity, located
to about 10 ms on the waveforms on both sides.
"""

from __future__ import annotations

import dataclasses
import os
import threading

import numpy as np

from ..dsp.stats import median
from ..exceptions import AlignmentError, ParameterError, SyncmmError
from ..types import Discontinuity, DriftEstimate, OffsetEstimate, SampleSource, Segment
from .drift_fit import _changepoints_wave, _runs, theil_sen
from .peaks import coarse_peak, fine_peak
from .xcorr import Prepared, estimate_offset, prepare

#: Drift is measured by default when the overlap is at least this long (seconds).
DRIFT_MIN_OVERLAP_S = 60.0
#: Windows with a peak prominence below this are gaps (silence, noise), not evidence.
MIN_WINDOW_CONFIDENCE = 0.25
#: Seconds of each window that the waveform stage correlates.
FINE_S = 3.0


def measure_segments(
    x,
    y,
    sr: int,
    px: Prepared,
    py: Prepared,
    lag0: float,
    *,
    t0_x: float = 0.0,
    t0_y: float = 0.0,
    window_s: float = 10.0,
    step_s: float | None = None,
    search_s: float | None = None,
    max_windows: int = 40,
    drift_ppm: float | None = 0.0,
    cache: dict | None = None,
) -> list[Segment]:
    """Measure the local offset in windows of OTHER along its overlap with REF.

    Parameters
    ----------
    x, y : array-like [shape=(n,)], [shape=(m,)]
        REF and OTHER samples (anything with ``len()`` and slicing: only short windows are read).
    sr : int
        Their sample rate.
    px, py : Prepared
        Their coarse features (:func:`syncmm.alignment.xcorr.prepare`).
    lag0 : float
        Global lag ``i_ref - j_other`` in samples (from :func:`estimate_offset`).
    t0_x, t0_y : float
        Timeline starts, as in :func:`estimate_offset`.
    window_s : float
        Window length (seconds of OTHER).
    step_s : float, optional
        Window spacing; default: the overlap split into at most ``max_windows`` windows, at least ``window_s``.
    search_s : float, optional
        How far (seconds) a window's offset may stray from the global one; default covers 300 ppm over the
        overlap plus 0.5 s.
    max_windows : int
        Upper bound on the number of windows.
    drift_ppm : float or None
        Drift to compensate in the fine stage: each window of OTHER is resampled onto REF's clock first,
        so that it does not smear over the window (200 ppm is 2 ms over 10 s).  None: coarse stage only.
    cache : dict, optional
        Onset-stage results per window, filled by one call and reused by the next (same windows).

    Returns
    -------
    list of Segment
        Every window, ``used=False`` where it holds no reliable evidence (silence, noise, no match).
    """
    if window_s <= 0:
        raise ParameterError("window_s must be > 0")
    Fx, Fy = px.features.X, py.features.X
    rate = px.features.rate
    hop = int(round(sr / rate))
    ell = lag0 / hop  # frames
    k_lo = max(0, int(np.ceil(-ell)))
    k_hi = min(Fy.shape[1], int(np.floor(Fx.shape[1] - ell)))
    Wf = int(round(window_s * rate))
    overlap_f = k_hi - k_lo
    if overlap_f < Wf:
        return []
    step_f = max(Wf, int(round(step_s * rate)) if step_s else int(np.ceil(overlap_f / max_windows)))
    R = int(round((search_s if search_s is not None else 300e-6 * overlap_f / rate + 0.5) * rate))
    act = py.activity
    act_ref = median(act[act > 0]) if (act > 0).any() else 0.0
    found_at: list[tuple[float, float, float, tuple | None]] = []  # centre, local, confidence, fine job
    for k0 in range(k_lo, k_hi - Wf + 1, step_f):
        if act[k0 : k0 + Wf].mean() < 0.1 * act_ref:
            continue  # silence in OTHER: a gap, not evidence
        if cache is not None and k0 in cache:
            local, conf = cache[k0]
        else:
            found = _coarse_window(Fx, Fy, k0, Wf, ell, R)
            if found is None:
                continue
            local, conf = found[0] * hop, found[1]  # samples: i_ref - j_other (no drift within a window)
            if cache is not None:
                cache[k0] = (local, conf)
        centre = k0 * hop + Wf * hop / 2
        job = None
        if conf >= MIN_WINDOW_CONFIDENCE and drift_ppm is not None:
            # the waveform stage needs only a few seconds: take the most active part of the window
            Ff = min(Wf, int(FINE_S * rate))
            c = np.concatenate([[0.0], np.cumsum(act[k0 : k0 + Wf], dtype=np.float64)])
            f0 = int(np.argmax(c[Ff:] - c[: len(c) - Ff]))
            centre = (k0 + f0) * hop + Ff * hop / 2
            job = (centre, local, Ff * hop, 3 * hop, drift_ppm * 1e-6)
        found_at.append((centre, local, conf, job))
    jobs = [f[3] for f in found_at if f[3] is not None]
    fines = iter(_in_two_threads(lambda job: _fine_compensated(x, y, *job), jobs))
    segs: list[Segment] = []
    for centre, local, conf, job in found_at:
        corr = None
        fine = next(fines) if job is not None else None
        if fine is not None:
            local, corr = fine
        segs.append(
            Segment(
                ref_time_s=float(t0_x + (centre + local) / sr),
                offset_s=float(local / sr + t0_x - t0_y),
                confidence=float(conf),
                correlation=None if corr is None else float(corr),
                used=conf >= MIN_WINDOW_CONFIDENCE,
            )
        )
    return segs


def _in_two_threads(fn, items: list) -> list:
    """``[fn(item) for item in items]``, every other item in a second thread (NumPy's FFTs release the GIL:
    the drift stage's 40 windows take ~60 % of the time on two cores); the results and the first error are
    those of the plain loop."""
    if len(items) < 4 or (os.cpu_count() or 1) < 2:
        return [fn(item) for item in items]
    out: list = [None] * len(items)
    errors: dict[int, BaseException] = {}

    def run(idx: range) -> None:
        for i in idx:
            try:
                out[i] = fn(items[i])
            except BaseException as e:  # noqa: BLE001 - raised below, in the order the loop would meet it
                errors[i] = e
                return

    t = threading.Thread(target=run, args=(range(1, len(items), 2),), daemon=True)
    t.start()
    try:
        run(range(0, len(items), 2))
    finally:
        t.join()
    if errors:
        raise errors[min(errors)]
    return out


def _coarse_window(Fx, Fy, k0: int, Wf: int, ell: float, R: int) -> tuple[float, float] | None:
    """Onset-envelope lag (frames, ``i_ref - j_other``) and confidence of OTHER's window at frame ``k0``."""
    a = max(0, int(np.floor(k0 + ell)) - R)
    b = min(Fx.shape[1], int(np.ceil(k0 + ell)) + Wf + R)
    cp = None
    if b - a >= Wf:
        try:
            cp, _, _ = coarse_peak(Fx[:, a:b], Fy[:, k0 : k0 + Wf], Wf)
        except AlignmentError:
            cp = None
    if cp is None or cp.confidence < MIN_WINDOW_CONFIDENCE or min(cp.lag, b - a - Wf - cp.lag) < 3:
        # nothing near the expected offset (or only at the edge of the search): after a jump (an edit,
        # a dropout) the offset can be anywhere, so search the whole of REF for this window
        try:
            cp, _, _ = coarse_peak(Fx, Fy[:, k0 : k0 + Wf], Wf)
        except AlignmentError:
            return None
        a = 0
    return a + cp.lag - k0, cp.confidence


def _fine_compensated(
    x: SampleSource, y: SampleSource, jc: float, lag: float, W: int, margin: int, d: float
) -> tuple[float, float] | None:
    """Fine lag at OTHER sample ``jc`` after resampling OTHER's window onto REF's clock (drift ``d``).

    Linear interpolation is enough here: over 3 s the resampling moves samples by at most a few
    (200 ppm: 0.6 ms), its error is symmetric and does not move the correlation peak, and it costs a
    fraction of a millisecond per window.
    """
    M = W
    pad = int(abs(d) * M) + 4
    j_a = int(np.floor(jc - M / 2 * (1 + d))) - pad
    j_b = int(np.ceil(jc + M / 2 * (1 + d))) + pad
    seg = np.zeros(j_b - j_a, np.float64)
    s0, s1 = max(j_a, 0), min(j_b, len(y))
    if s1 - s0 < M // 2:
        return None
    seg[s0 - j_a : s1 - j_a] = y[s0:s1]
    m = np.arange(M, dtype=np.float64)
    y_local = np.interp(jc + (m - M / 2) * (1 + d) - j_a, np.arange(len(seg)), seg)  # REF's clock, centred on jc
    i_c = jc + lag  # REF sample of OTHER's sample jc (coarse)
    fp = fine_peak(x, y_local, i_c - M / 2, margin, M)
    if fp is None or fp.at_edge or fp.correlation < 0.02:
        return None
    return fp.lag + M / 2 - jc, fp.correlation


def fit_drift(
    segments: list[Segment],
    sr: int,
    *,
    t0_x: float = 0.0,
    t0_y: float = 0.0,
    jump_s: float = 0.005,
    window_s: float = 10.0,
    x=None,
    y=None,
) -> DriftEstimate:
    """Fit offset and drift to the longest consistent run of segments and locate the jumps between runs.

    Parameters
    ----------
    segments : list of Segment
        From :func:`measure_segments`.
    sr : int
        Sample rate of ``x`` and ``y``.
    t0_x, t0_y : float
        Timeline starts.
    jump_s : float
        Smallest offset jump between neighbouring windows that counts as a discontinuity.
    window_s : float
        The windows' length (bounds the search for where a jump happens).
    x, y : array-like, optional
        REF and OTHER samples (anything with ``len()`` and slicing): each discontinuity is then located
        on the waveforms to about 10 ms; without them, midway between the windows around it.

    Returns
    -------
    DriftEstimate

    Raises
    ------
    AlignmentError
        Fewer than two usable windows.
    """
    use = [s for s in segments if s.used]
    if len(use) < 2:
        raise AlignmentError("too few windows with usable content to measure drift")
    t = np.array([s.ref_time_s for s in use])
    o = np.array([s.offset_s for s in use])
    order = np.argsort(t)
    t, o = t[order], o[order]
    use = [use[i] for i in order]
    runs = _runs(t, o, jump_s)
    if len(runs) > 1:
        # a lone window that disagrees with both neighbours is an outlier (a repeated sound matched
        # elsewhere), not two jumps: drop it and split again
        keep = np.concatenate([r for r in runs if len(r) > 1] or [np.arange(len(t))])
        t, o = t[keep], o[keep]
        use = [use[i] for i in keep]
        runs = _runs(t, o, jump_s)
    best = max(runs, key=lambda r: (t[r[-1]] - t[r[0]], len(r)))
    a, b = theil_sen(t[best], o[best])
    d = -b
    res = o[best] - (a + b * t[best])
    discs = []
    for r1, r2 in zip(runs[:-1], runs[1:], strict=True):
        a1 = median(o[r1] - b * t[r1])
        a2 = median(o[r2] - b * t[r2])
        t_a, t_b = t[r1[-1]], t[r2[0]]
        if x is not None and y is not None:
            t_end, t_res = _changepoints_wave(
                x, y, sr, (a1, b), (a2, b), t_a - window_s / 2, t_b + window_s / 2, t0_x, t0_y
            )
        else:
            t_end = t_res = (t_a + t_b) / 2
        discs.append(Discontinuity(ref_time_s=float(t_end), jump_s=float(a2 - a1), ref_resume_s=float(t_res)))
    in_fit = {id(use[i]) for i in best}
    out_segments = tuple(
        Segment(s.ref_time_s, s.offset_s, s.confidence, s.correlation, used=id(s) in in_fit)
        for s in sorted(segments, key=lambda s: s.ref_time_s)
    )
    return DriftEstimate(
        offset_s=float(a / (1 + d)),
        drift_ppm=float(d * 1e6),
        residual_rms_s=float(np.sqrt(np.mean(res**2))),
        residual_max_s=float(np.max(np.abs(res))),
        segments=out_segments,
        discontinuities=tuple(discs),
        fit_span=(float(t[best[0]]), float(t[best[-1]])),
        n_used=len(best),
    )


def estimate_drift(
    x,
    y,
    sr: int,
    estimate: OffsetEstimate,
    *,
    t0_x: float = 0.0,
    t0_y: float = 0.0,
    prepared: tuple[Prepared, Prepared] | None = None,
    window_s: float = 10.0,
) -> DriftEstimate:
    """Offset, clock drift and discontinuities of OTHER ``y`` against REF ``x``.

    Parameters
    ----------
    x, y : array-like
        REF and OTHER at ``sr`` (arrays, or anything with ``len()`` and slicing when ``prepared`` is given).
    sr : int
        Sample rate.
    estimate : OffsetEstimate
        The global estimate (:func:`syncmm.estimate_offset`) the windows start from.
    t0_x, t0_y : float
        Timeline starts.
    prepared : (Prepared, Prepared), optional
        Coarse features of ``x`` and ``y`` if already computed.
    window_s : float
        Window length in seconds.

    Returns
    -------
    DriftEstimate

    Raises
    ------
    AlignmentError
        Fewer than two windows with usable content.
    """
    px, py = prepared if prepared is not None else (prepare(x, sr, "REF"), prepare(y, sr, "OTHER"))
    lag = (estimate.offset_s - t0_x + t0_y) * sr
    kw = dict(t0_x=t0_x, t0_y=t0_y, window_s=window_s)
    cache: dict = {}
    # pass 1: onset envelopes only (about 1 ms per window), enough for the drift to a few ppm
    coarse = measure_segments(x, y, sr, px, py, lag, drift_ppm=None, cache=cache, **kw)
    first = fit_drift(coarse, sr, jump_s=0.02, **kw)
    # pass 2: waveforms, each window resampled onto REF's clock with that drift
    fine = measure_segments(x, y, sr, px, py, lag, drift_ppm=first.drift_ppm, cache=cache, **kw)
    return fit_drift(fine, sr, x=x, y=y, **kw)


def offset_and_drift(
    x: SampleSource,
    y: SampleSource,
    sr: int,
    *,
    t0_x: float = 0.0,
    t0_y: float = 0.0,
    prepared: tuple[Prepared, Prepared] | None = None,
    drift: bool | None = None,
    **options,
) -> tuple[OffsetEstimate, DriftEstimate | None]:
    """:func:`~syncmm.alignment.xcorr.estimate_offset`, then :func:`estimate_drift` as ``syncmm align`` does.

    Drift is measured when ``drift`` is True, or by default (None) when the overlap is at least
    :data:`DRIFT_MIN_OVERLAP_S`.  A drift measurement that fails, or finds jumps, adds a warning to the
    estimate instead of raising.  ``options`` go to ``estimate_offset``.

    Returns
    -------
    (OffsetEstimate, DriftEstimate or None)
    """
    est = estimate_offset(x, y, sr, t0_x=t0_x, t0_y=t0_y, prepared=prepared, **options)
    if not (drift or (drift is None and est.overlap_s >= DRIFT_MIN_OVERLAP_S)):
        return est, None
    try:
        dr = estimate_drift(x, y, sr, est, t0_x=t0_x, t0_y=t0_y, prepared=prepared)
    except SyncmmError as e:
        return dataclasses.replace(est, warnings=(*est.warnings, f"drift not measured: {e}")), None
    if dr.discontinuities:
        where = ", ".join(f"{d.jump_s * 1e3:+.1f} ms at {d.ref_time_s:.2f} s" for d in dr.discontinuities)
        est = dataclasses.replace(
            est,
            warnings=(
                *est.warnings,
                f"offset jumps ({where}); offset and drift fitted to the longest consistent part, "
                f"REF {dr.fit_span[0]:.1f}-{dr.fit_span[1]:.1f} s",
            ),
        )
    return est, dr
