"""Reports of ``syncmm selftest``: the dict (``"kind": "selftest"``) and its text table."""

from __future__ import annotations

from typing import Any

from .._version import __version__
from .schema import SCHEMA, _r

_FLAG = {"xcorr": "--method xcorr (the default)", "gcc-phat": "--method gcc-phat", "coarse": "--method coarse",
         "motion": "--features motion (the pictures)"}  # fmt: skip


def selftest_report(res, path: str, frame_note: str) -> dict[str, Any]:
    """``res``: a :class:`~syncmm.alignment.selftest.SelftestResult`."""
    methods = {}
    for s in res.summaries:
        methods[s.method] = {
            "features": s.features, "trials": s.trials, "aligned": s.aligned,
            "within_1ms": s.within_1ms, "share_within_1ms": _r(s.within_1ms / s.trials, 4),
            "within_1frame": s.within_1frame, "share_within_1frame": _r(s.within_1frame / s.trials, 4),
            "median_abs_error_s": _r(s.median_abs_error_s, 7), "p95_abs_error_s": _r(s.p95_abs_error_s, 7),
            "median_confidence": _r(s.median_confidence, 4),
        }  # fmt: skip
    rec = res.recommended
    if rec is None:
        words = "no method aligned any trial: this material cannot be synced from its sound"
    else:
        s = next(x for x in res.summaries if x.method == rec)
        words = (f"use {_FLAG[rec]}: {s.within_1ms}/{s.trials} trials within 1 ms, "
                 f"{s.within_1frame}/{s.trials} within 1 frame")  # fmt: skip
        if s.within_1ms < 0.95 * s.trials:
            words += "; below 95 % within 1 ms: check doubtful results with --plot"
    trials = []
    for i, p in enumerate(res.perturbations):
        t = {"trial": i, "true_offset_s": _r(p.start_s, 7), "duration_s": _r(p.duration_s, 3),
             "drift_ppm": _r(p.drift_ppm, 3), "lowpass_hz": p.lowpass_hz, "snr_db": p.snr_db, "codec": p.codec,
             "results": {}}  # fmt: skip
        for r in res.results:
            if r.trial == i:
                t["results"][r.method] = {"offset_s": _r(r.offset_s, 7), "error_s": _r(r.error_s, 7),
                                          "confidence": _r(r.confidence, 4), "failure": r.failure}  # fmt: skip
        trials.append(t)
    return {
        "schema": SCHEMA, "kind": "selftest", "path": path, "duration_s": _r(res.duration_s, 3),
        "analysis_rate": res.sample_rate, "frame_s": _r(res.frame_s, 6), "frame_note": frame_note,
        "trials": len(res.perturbations), "methods": methods, "recommended": rec, "recommendation": words,
        "trial_list": trials, "tool": {"name": "syncmm", "version": __version__},
    }  # fmt: skip


def selftest_text(d: dict[str, Any]) -> str:
    def ms(v):
        return "-" if v is None else f"{v * 1e3:.3f}"

    what = []
    if set(d["methods"]) - {"motion"}:
        what.append(
            "sound: fractional shift, drift up to +-100 ppm, AAC/MP3/Opus, 3.4 kHz low-pass, noise to 10 dB SNR"
        )
    if "motion" in d["methods"]:
        what.append("motion: the same shifts and drifts cut from the motion features, noise added to them")
    lines = [
        f"self-test of {d['path']} ({d['duration_s']:.1f} s used): {d['trials']} perturbed excerpts",
        *(f"  {w}" for w in what),
        "",
        f"{'method':<9} {'aligned':>8} {'<=1 ms':>8} {'<=1 frame':>10} {'median err ms':>14} {'p95 err ms':>11} "
        f"{'confidence':>11}",
    ]
    for name, m in d["methods"].items():
        conf = "-" if m["median_confidence"] is None else f"{m['median_confidence']:.2f}"
        lines.append(f"{name:<9} {m['aligned']:>4}/{m['trials']:<3} {m['within_1ms']:>4}/{m['trials']:<3} "
                     f"{m['within_1frame']:>5}/{m['trials']:<4} {ms(m['median_abs_error_s']):>14} "
                     f"{ms(m['p95_abs_error_s']):>11} {conf:>11}")  # fmt: skip
    lines += ["", f"1 frame: {d['frame_note']}", f"recommendation: {d['recommendation']}"]
    return "\n".join(lines) + "\n"
