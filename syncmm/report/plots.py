"""``--plot FILE.png``: the evidence behind a result, as a picture (matplotlib, extra ``plot``).

Figures are drawn with matplotlib's object API on an Agg canvas: nothing is shown on screen and no global
pyplot state is touched.  Each figure's title states the result and the confidence in words; axes are in
seconds or milliseconds.  Files are written through :func:`~syncmm.outputs.atomic_output`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..exceptions import ParameterError

_DPI = 100
_REF_C, _OTH_C, _PEAK_C, _ALT_C, _GREY = "#1f77b4", "#ff7f0e", "#d62728", "#9467bd", "#7f7f7f"


def _figure(height_in: float, rows: int):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ParameterError("--plot needs matplotlib: pip install 'syncmm[plot]'") from None
    fig = Figure(figsize=(12, height_in), dpi=_DPI, layout="constrained")
    axes = fig.subplots(rows, 1, squeeze=False)[:, 0]
    return fig, axes


#: File name ending -> matplotlib format: a picture is written in the format its name says.
PLOT_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def plot_format(path: str | os.PathLike) -> str:
    """The picture format ``path`` names (.png, .svg or .pdf).

    Raises
    ------
    ParameterError
        Any other ending.
    """
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in PLOT_FORMATS:
        raise ParameterError(f"--plot {path}: use a .png, .svg or .pdf file name")
    return PLOT_FORMATS[ext]


def _save(fig, path: str | os.PathLike, inputs: Sequence[str | os.PathLike], overwrite: bool) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from ..outputs import atomic_output

    fmt = plot_format(path)
    FigureCanvasAgg(fig)
    with atomic_output(path, inputs, overwrite) as tmp:
        fig.savefig(tmp, format=fmt, dpi=_DPI)


def _finish(ax, xlabel: str, ylabel: str, title: str) -> None:
    """Labels, a small left-aligned title, a light grid, and the legend beside the axes (it never hides a peak)."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize=8, frameon=False)
    ax.grid(alpha=0.3)


def _conf_words(c: float) -> str:
    from .schema import confidence_words

    return f"confidence {c:.2f} ({confidence_words(c)})"


def plot_align(
    path: str | os.PathLike,
    estimate,
    *,
    offset_s: float | None,
    drift=None,
    names: tuple[str, str] = ("REF", "OTHER"),
    inputs: Sequence[str | os.PathLike] = (),
    overwrite: bool = False,
) -> None:
    """The correlation over all offsets (peak and runner-up marked), a zoom around the peak, and, when drift
    was measured, the offset over time with the drift line and the discontinuities.

    Parameters
    ----------
    path : str or PathLike
        PNG to write.
    estimate : OffsetEstimate
        With ``curve`` (``keep_curve=True``).
    offset_s : float or None
        The result's offset (None: no reliable alignment; the figure shows why).
    drift : DriftEstimate, optional
        Adds the offset-over-time panel.
    names : (str, str)
        REF's and OTHER's names for the title.
    """
    from .schema import action_words

    cv = estimate.curve
    if cv is None:
        raise ParameterError("the estimate carries no correlation curve (estimate with keep_curve=True)")
    rows = 3 if drift is not None else 2
    fig, ax = _figure(3.0 * rows + 0.6, rows)
    if offset_s is None:
        head = f"no reliable offset: the best peak is not prominent; {_conf_words(estimate.confidence)}"
    else:
        head = f"offset {offset_s:+.6f} s: {action_words(offset_s)}; {_conf_words(estimate.confidence)}"
    fig.suptitle(f"{head}\nREF {os.path.basename(names[0])}   OTHER {os.path.basename(names[1])}", fontsize=11)
    x, z = cv.offsets_s, cv.z.astype(np.float64)
    fin = np.isfinite(z)
    peak = estimate.coarse_offset_s
    a = ax[0]
    a.plot(x[fin], z[fin], color=_REF_C, lw=0.8, label="correlation (robust z-score)")
    a.axhline(cv.chance_z, color=_GREY, ls="--", lw=1, label=f"chance level over {fin.sum()} offsets")
    kp = int(np.argmin(np.abs(x - peak)))
    a.plot([x[kp]], [z[kp]], "o", color=_PEAK_C, ms=7, label=f"peak {peak:+.3f} s (z {estimate.peak_score:.1f})")
    if estimate.runner_up_offset_s is not None:
        k2 = int(np.argmin(np.abs(x - estimate.runner_up_offset_s)))
        a.plot([x[k2]], [z[k2]], "s", color=_ALT_C, ms=7,
               label=f"runner-up {estimate.runner_up_offset_s:+.3f} s (z {estimate.runner_up_score:.1f})")  # fmt: skip
    _finish(a, "offset t_REF - t_OTHER (s)", "correlation (z)", "Onset-envelope correlation over every offset")
    # zoom: +-250 ms around the peak, in ms
    b = ax[1]
    near = fin & (np.abs(x - peak) <= 0.25)
    b.plot((x[near] - peak) * 1e3, z[near], "-o", color=_REF_C, ms=3, lw=1, label="correlation (10 ms steps)")
    if offset_s is not None and estimate.fine_correlation is not None:
        lab = f"waveform peak in one window {estimate.offset_s:+.6f} s (r {estimate.fine_correlation:.2f})"
        b.axvline((estimate.offset_s - peak) * 1e3, color=_PEAK_C, lw=1.5, label=lab)
    b.axvline(0, color=_GREY, ls=":", lw=1, label="onset peak")
    _finish(b, f"offset - {peak:+.3f} s (ms)", "correlation (z)", "Around the peak")
    if drift is not None:
        _drift_panel(ax[2], drift)
    _save(fig, path, inputs, overwrite)


def _drift_panel(c, drift) -> None:
    seg = drift.segments
    t = np.array([g.ref_time_s for g in seg])
    off = np.array([g.offset_s for g in seg])
    used = np.array([g.used for g in seg], bool)
    base = drift.offset_s
    if used.any():
        c.plot(t[used], (off[used] - base) * 1e3, "o", color=_REF_C, ms=4, label="window offsets used")
    if (~used).any():
        c.plot(t[~used], (off[~used] - base) * 1e3, "x", color=_GREY, ms=5, label="windows not used")
    a, b = drift.fit_span
    tt = np.linspace(a, b, 50)
    c.plot(tt, (np.array([drift.offset_at(v) for v in tt]) - base) * 1e3, color=_PEAK_C, lw=1.5,
           label=f"drift {drift.drift_ppm:+.2f} ppm ({abs(drift.drift_ppm) * 3.6:.1f} ms per hour)")  # fmt: skip
    for d in drift.discontinuities:
        c.axvline(d.ref_time_s, color=_ALT_C, ls="--", lw=1.2,
                  label=f"jump {d.jump_s * 1e3:+.1f} ms at REF {d.ref_time_s:.1f} s (OTHER breaks)")  # fmt: skip
    _finish(
        c,
        "REF time (s)",
        f"offset - {base:+.6f} s (ms)",
        f"Offset over time (residual {drift.residual_rms_s * 1e3:.3f} ms rms)",
    )


def plot_check(
    path: str | os.PathLike, est, *, name: str, inputs: Sequence[str | os.PathLike] = (), overwrite: bool = False
) -> None:
    """The mouth's and the sound's canonical variates over time (the sound moved by the found offset), the
    cross-validated correlation against the lag, and the per-window offsets of a long file.

    Parameters
    ----------
    path : str or PathLike
        PNG, SVG or PDF to write.
    est : LipSyncEstimate
        With its evidence (``times``, ``mouth``, ``env``) and ``segments``.
    name : str
        The file's name for the title.
    """
    from .check import words

    rows = 3 if est.segments else 2
    fig, ax = _figure(3.5 * rows, rows)
    if est.decided:
        head = f"{words(est.offset_s)} (offset {est.offset_s * 1e3:+.0f} ms, picture - audio)"
    else:
        head = f"undecidable: best peak {est.offset_s * 1e3:+.0f} ms"
    fig.suptitle(f"{os.path.basename(name)}: {head}; confidence {est.confidence:.3f} "
                 f"({est.confidence_words.split(':')[0]})", fontsize=11)  # fmt: skip
    a = ax[0]
    if est.times is not None and est.env is not None:
        t, m, v = np.asarray(est.times), np.asarray(est.mouth), np.asarray(est.env)
        lo, hi = _busiest(t, np.nan_to_num(np.abs(m)), 12.0)
        sel = (t >= lo) & (t <= hi)
        a.plot(t[sel], v[sel], color=_OTH_C, lw=1, label=f"sound, moved {est.raw_offset_s * 1e3:+.0f} ms")
        a.plot(t[sel], m[sel], color=_REF_C, lw=1.2, label="mouth (gaps: no face)")
        a.set_xlim(lo, hi)
    title = "Mouth and sound on their first canonical pair at the found offset (the busiest 12 s)"
    _finish(a, "time in the picture (s)", "canonical variate (z)", title)
    b = ax[1]
    off_ms = -np.asarray(est.lags_s) * 1e3  # raw picture - audio for each lag
    b.plot(off_ms, est.curve, color=_REF_C, lw=1, label="cross-validated correlation")
    b.axvline(est.raw_offset_s * 1e3, color=_PEAK_C, lw=1.5, label=f"found {est.raw_offset_s * 1e3:+.0f} ms")
    if est.runner_up_offset_s is not None:
        b.axvline(est.runner_up_offset_s * 1e3, color=_ALT_C, ls="--", lw=1,
                  label=f"runner-up {est.runner_up_offset_s * 1e3:+.0f} ms")  # fmt: skip
    b.axvline(0, color=_GREY, ls=":", lw=1)
    how = (f"the sync steps at {est.step_s:.1f} s: the reported offset is the longest run of windows, below"
           if est.step_s is not None else f"reported offset = peak - bias {est.bias_s * 1e3:+.0f} ms")  # fmt: skip
    _finish(b, "picture - audio, before the bias correction (ms)", "correlation", f"Correlation against lag ({how})")
    if est.segments:
        c = ax[2]
        for g in est.segments:
            y = np.nan if g.offset_s is None else g.offset_s * 1e3
            c.plot([g.start_s, g.end_s], [y, y], color=_REF_C if g.offset_s is not None else _GREY, lw=3)
        c.plot([], [], color=_REF_C, lw=3, label="window offset (undecided windows left out)")
        c.axhline(est.offset_s * 1e3, color=_PEAK_C, lw=1, ls="--", label=f"whole file {est.offset_s * 1e3:+.0f} ms")
        if est.step_s is not None:
            c.axvline(est.step_s, color=_ALT_C, lw=1.5, label=f"sync step at {est.step_s:.1f} s")
        _finish(c, "time in the picture (s)", "offset (ms)", "Per-window offsets")
    _save(fig, path, inputs, overwrite)


def _busiest(t: np.ndarray, v: np.ndarray, span: float) -> tuple[float, float]:
    """The ``span``-second window with the most envelope energy above its floor."""
    if len(t) < 2 or t[-1] - t[0] <= span:
        return float(t[0]), float(t[-1]) if len(t) else 1.0
    w = np.clip(v - np.percentile(v, 30), 0, None)
    c = np.concatenate([[0.0], np.cumsum(w)])
    n = max(1, int(span / np.median(np.diff(t))))
    k = int(np.argmax(c[n:] - c[:-n]))
    return float(t[k]), float(t[k] + span)


def plot_warp(
    path: str | os.PathLike,
    wp,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    band_s: float,
    summary: dict[str, Any],
    names: tuple[str, str] = ("REF", "OTHER"),
    inputs: Sequence[str | os.PathLike] = (),
    overwrite: bool = False,
    max_cells: int = 600,
) -> None:
    """The cost matrix (features pooled to at most ``max_cells`` per side) with the band and the path.

    Parameters
    ----------
    wp : WarpPath
        The path.
    X, Y : np.ndarray [shape=(d, N), (d, M)]
        REF's and OTHER's features at ``wp.rate``.
    band_s : float
        The band's half-width around the path, in seconds.
    summary : dict
        ``WarpPath.summary()`` for the title.
    """
    fig, ax = _figure(7.6, 1)
    a = ax[0]
    fx, fy = max(1, -(-X.shape[1] // max_cells)), max(1, -(-Y.shape[1] // max_cells))

    def pool(Z, f):
        n = Z.shape[1] // f * f
        P = Z[:, :n].reshape(Z.shape[0], -1, f).mean(2) if n else Z
        return P / (np.linalg.norm(P, axis=0, keepdims=True) + 1e-9)

    A, B = pool(np.asarray(X, np.float64), fx), pool(np.asarray(Y, np.float64), fy)
    C = 1.0 - B.T @ A  # rows: OTHER, columns: REF (cosine distance)
    r = wp.rate
    ext = (wp.ref_t0, wp.ref_t0 + A.shape[1] * fx / r, wp.other_t0, wp.other_t0 + B.shape[1] * fy / r)
    im = a.imshow(C, origin="lower", aspect="auto", extent=ext, cmap="Greys", interpolation="nearest")
    fig.colorbar(im, ax=a, label="cosine distance of the features", shrink=0.9)
    ti = wp.ref_t0 + wp.path[:, 0] / r
    tj = wp.other_t0 + wp.path[:, 1] / r
    if band_s > 0:
        a.fill_between(ti, tj - band_s, tj + band_s, color=_PEAK_C, alpha=0.18, lw=0,
                       label=f"band searched (+-{band_s:g} s around the coarser path)")  # fmt: skip
    a.plot(ti, tj, color=_PEAK_C, lw=1.6, label="path (the time map)")
    a.set_xlim(ext[0], ext[1])
    a.set_ylim(ext[2], ext[3])
    a.set_xlabel(f"REF time (s): {os.path.basename(names[0])}")
    a.set_ylabel(f"OTHER time (s): {os.path.basename(names[1])}")
    a.legend(loc="upper left", fontsize=8, framealpha=0.9)
    tempo, p5, p95 = summary["tempo_ratio"], summary["local_ratio_p5"], summary["local_ratio_p95"]
    fig.suptitle(f"Time map: OTHER takes {tempo:.3f} s per REF second (locally {p5:.2f}-{p95:.2f}); "
                 f"mean path cost {summary['mean_cost']:.3f} (0 = identical features)", fontsize=11)  # fmt: skip
    _save(fig, path, inputs, overwrite)
