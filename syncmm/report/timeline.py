"""Multicam timeline reports (``syncmm align REF A B C --timeline``): dict, text, CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from .._version import __version__
from ..timefmt import format_duration
from .schema import SCHEMA, _r, confidence_words

TIMELINE_CONVENTION = (
    "start_s: the time on REF's timeline of each file's time zero, i.e. its offset_s against REF "
    "(t_REF - t_FILE of the same event); place each file start_s after REF's zero"
)


def timeline_report(mc) -> dict[str, Any]:
    """The report of a :class:`~syncmm.types.MulticamResult` as a JSON-ready dict.

    ``exit_code`` is the most severe of the files': 0 placed, 3 unreadable, 4 unplaced (no shared content).
    """
    tl = mc.timeline
    files = []
    for i, (path, info, err) in enumerate(zip(mc.paths, mc.infos, mc.errors, strict=True)):
        f: dict[str, Any] = {"index": i, "path": path}
        if info is not None:
            f["duration_s"] = _r(info.duration_s)
            f["media_start_s"] = _r(info.start_time_s or 0.0)
            v = info.video_streams
            if v:
                f["video"] = {"frame_rate": v[0].frame_rate, "width": v[0].width, "height": v[0].height}
        if err is not None:
            f.update(status="error", exit_code=err.exit_code, error=str(err))
        elif tl.starts_s[i] is None:
            f.update(status="unplaced", exit_code=4, error="shares no reliable content with the placed files")
        else:
            f.update(status="ok", start_s=_r(tl.starts_s[i]), offset_s=_r(tl.starts_s[i]), hops=tl.hops[i])
        files.append(f)
    pairs = [
        {
            "a": p.a, "b": p.b, "offset_s": _r(p.offset_s), "confidence": _r(p.confidence, 4),
            "confidence_words": confidence_words(p.confidence), "residual_s": _r(res), "used": used,
        }
        for p, res, used in zip(tl.pairs, tl.residuals_s, tl.used, strict=True)
    ]  # fmt: skip
    worst = max((f.get("exit_code", 0) for f in files), default=0)
    return {
        "schema": SCHEMA,
        "kind": "timeline",
        "status": "ok" if worst == 0 else "partial",
        "exit_code": worst,
        "reference": mc.paths[0],
        "files": files,
        "pairs": pairs,
        "sign_convention": TIMELINE_CONVENTION,
        "tool": {"name": "syncmm", "version": __version__},
    }


def timeline_text(d: dict[str, Any]) -> str:
    """A table: one line per file, then the pairs behind it."""
    lines = [f"timeline of {d['reference']} (start: where each file's time zero falls on REF's timeline)", ""]
    w = max(len(f["path"]) for f in d["files"])
    for f in d["files"]:
        if f["status"] == "ok":
            via = "REF" if f["hops"] == 0 else ("direct" if f["hops"] == 1 else f"via {f['hops'] - 1} other file(s)")
            dur = format_duration(f["duration_s"]) if f.get("duration_s") is not None else "?"
            lines.append(f"{f['path']:<{w}}  start {f['start_s']:+12.6f} s   length {dur:>10}   {via}")
        else:
            lines.append(f"{f['path']:<{w}}  {f['status']}: {f['error']} (exit {f['exit_code']})")
    lines += ["", "pairs (offset = t_a - t_b; residual against the fitted timeline):"]
    for p in d["pairs"]:
        a, b = d["files"][p["a"]]["path"], d["files"][p["b"]]["path"]
        res = "" if p["residual_s"] is None else f"residual {p['residual_s'] * 1e3:+.3f} ms"
        flag = "" if p["used"] else "   DROPPED: contradicted by the other pairs"
        lines.append(f"  {a} <- {b}: {p['offset_s']:+.6f} s, confidence {p['confidence']:.2f}, {res}{flag}")
    if not d["pairs"]:
        lines.append("  (none: no two files share content)")
    return "\n".join(lines) + "\n"


def timeline_csv(d: dict[str, Any]) -> str:
    buf = io.StringIO()
    cols = ["path", "status", "start_s", "duration_s", "hops", "exit_code", "error"]
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for f in d["files"]:
        w.writerow({k: f.get(k, 0 if k == "exit_code" else "") for k in cols})
    return buf.getvalue()


def render_timeline(d: dict[str, Any], fmt: str) -> str:
    """``fmt`` one of text, json, jsonl, csv."""
    if fmt == "json":
        return json.dumps(d, indent=2, ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return json.dumps(d, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return timeline_csv(d)
    return timeline_text(d)
