"""The report of ``syncmm export``: what was written, each clip's place and rounding, the files left out."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..timefmt import format_timecode


def export_report(entries, to: str, files, rate: Fraction, origin: float, clips, missing) -> dict[str, Any]:
    """The JSON-ready dict (``"kind": "export"``) of an export to ``to`` at frame ``rate``."""
    rate_s = str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"
    return {
        "schema": entries[0]["schema"], "kind": "export", "target": to, "files": [str(p) for p in files],
        "frame_rate": rate_s, "origin_s": round(origin, 6),
        "clips": [{"path": c.path, "track": c.track, "start_s": round(c.start_s, 6), "start_frame": c.start_frame,
                   "duration_frames": c.duration_frames, "residual_s": round(c.residual_s, 6)} for c in clips],
        "left_out": [{"path": p, "reason": why} for p, why in missing],
    }  # fmt: skip


def export_text(d: dict[str, Any]) -> str:
    """The text form: the files written, then each clip's timecode and rounding residual."""
    rate = Fraction(d["frame_rate"])
    lines = [f"wrote {', '.join(d['files'])} ({d['target']}, {d['frame_rate']} fps; frame 0 = REF time "
             f"{d['origin_s']:+.6f} s)"]  # fmt: skip
    w = max(len(c["path"]) for c in d["clips"])
    for c in d["clips"]:
        tc = format_timecode(c["start_frame"] / float(rate), rate)
        lines.append(f"  {c['track']:<4} {c['path']:<{w}}  at {tc} (frame {c['start_frame']}), "
                     f"rounding {c['residual_s'] * 1e3:+.2f} ms")  # fmt: skip
    return "\n".join(lines) + "\n"
