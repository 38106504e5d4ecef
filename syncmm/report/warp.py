"""Reports of ``syncmm warp``: summary dict (``"kind": "warp"``), CSV time map, text."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from .._version import __version__
from .schema import SCHEMA


def warp_report(wp, ref: str, other: str, features: str) -> dict[str, Any]:
    """The JSON summary of a :class:`~syncmm.types.WarpPath`."""
    s = wp.summary()
    return {
        "schema": SCHEMA,
        "kind": "warp",
        "ref": {"path": ref, "frames": wp.n_ref, "start_time_s": round(wp.ref_t0, 6)},
        "other": {"path": other, "frames": wp.n_other, "start_time_s": round(wp.other_t0, 6)},
        "features": features,
        "rate": wp.rate,
        "chroma_shift": wp.chroma_shift,
        "band_s": round(float(wp.band_s), 6),
        "onset_weight": round(float(wp.onset_weight), 6),
        "contrast": round(float(wp.contrast), 4),
        "summary": {k: round(v, 6) for k, v in s.items()},
        "path_length": int(len(wp.path)),
        "cells": int(wp.cells),
        "scales": list(wp.scales),
        "tool": {"name": "syncmm", "version": __version__},
    }


def warp_map(wp) -> list[list[float]]:
    """``[ref_s, other_s]`` at every REF frame (4 decimals)."""
    t = wp.ref_t0 + np.arange(wp.n_ref) / wp.rate
    return [[round(float(a), 4), round(float(b), 4)] for a, b in zip(t, wp.transfer(t), strict=True)]


def warp_csv(wp) -> str:
    """``ref_s,other_s`` at every REF frame."""
    buf = io.StringIO()
    buf.write("ref_s,other_s\n")
    for a, b in warp_map(wp):
        buf.write(f"{a:.4f},{b:.4f}\n")
    return buf.getvalue()


def warp_text(d: dict[str, Any]) -> str:
    s = d["summary"]
    lines = [
        f"REF         {d['ref']['path']}  ({d['ref']['frames']} frames at {d['rate']:g}/s)",
        f"OTHER       {d['other']['path']}  ({d['other']['frames']} frames)",
        f"map         REF {s['ref_start_s']:.2f}-{s['ref_end_s']:.2f} s -> OTHER "
        f"{s['other_start_s']:.2f}-{s['other_end_s']:.2f} s",
        f"tempo       OTHER/REF {s['tempo_ratio']:.4f} on average, locally {s['local_ratio_p5']:.3f}-"
        f"{s['local_ratio_p95']:.3f} (5th-95th percentile over 5 s)",
        f"cost        {s['mean_cost']:.4f} per step, {d['contrast']:.2f} of chance (refused above the limit)",
    ]
    if d.get("chroma_shift"):
        k = d["chroma_shift"]
        lines.append(f"key         OTHER's pitch classes rolled by {k} ({k if k <= 6 else k - 12:+d} semitones)")
    if d.get("render"):
        lines.append(f"render      wrote {d['render']}")
    return "\n".join(lines) + "\n"
