"""Render report dicts as text, JSON, JSON Lines or CSV, and write files atomically."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from ..outputs import atomic_output, check_output_path, write_atomic  # noqa: F401  (re-exported: the one output gate)
from ..timefmt import format_duration

FORMATS = ("text", "json", "jsonl", "csv")
CSV_COLUMNS = (
    "ref", "other", "status", "offset_s", "offset_samples", "analysis_rate", "confidence", "method",
    "overlap_s", "action", "exit_code", "error", "drift_ppm", "discontinuities",
)  # fmt: skip


def _text_one(d: dict[str, Any]) -> str:
    ref, oth = d["ref"], d["other"]
    if d["status"] in ("error", "no_alignment"):
        return f"REF    {ref['path']}\nOTHER  {oth['path']}\nerror  {d['error']} (exit {d['exit_code']})\n"

    def desc(m: dict[str, Any]) -> str:
        extra = f", starts at {m['start_time_s']:.3f} s" if m.get("start_time_s") else ""
        what = f"{m['sample_rate']} Hz {m['codec']}" if m.get("sample_rate") else f"{m['codec']} video"
        return f"{m['path']}  ({format_duration(m['duration_s'])}, {what}{extra})"

    lines = [
        f"REF         {desc(ref)}",
        f"OTHER       {desc(oth)}",
        f"offset      {d['offset_s']:+.6f} s   (t_REF - t_OTHER)",
        f"            {d['action']}",
    ]
    if "frames" in d:
        f = d["frames"]
        lines.append(f"            {f['offset_frames']:+.2f} frames at {f['frame_rate']} fps ({f['offset_timecode']})")
    dr = d.get("drift")
    if dr:
        fast = "fast" if dr["ppm"] >= 0 else "slow"
        lines.append(
            f"drift       {dr['ppm']:+.2f} ppm (OTHER's clock runs {fast}: {abs(dr['ppm']) * 3.6:.1f} ms per hour), "
            f"residual {dr['residual_rms_s'] * 1e3:.3f} ms rms over {dr['windows_used']}/{dr['windows']} windows"
        )
    for j in d.get("discontinuities", []):
        lines.append(
            f"jump        {j['jump_s'] * 1e3:+.1f} ms: OTHER breaks at REF {j['ref_time_s']:.2f} s, "
            f"resumes at REF {j['ref_resume_s']:.2f} s"
        )
    lines += [
        f"confidence  {d['confidence']:.2f} ({d['confidence_words']})",
        f"overlap     {format_duration(d['overlap']['duration_s'])}",
        f"method      {d['method']}",
        f"ffmpeg      {d['ffmpeg_command']}",
    ]
    for w in d.get("warnings", []):
        lines.append(f"warning     {w}")
    for name, c in (d.get("checks") or {}).items():
        lines.append(f"check       {name}: {'pass' if c['passed'] else 'FAIL'} ({c['detail']})")
    if d.get("apply"):
        lines += apply_lines(d["apply"])
    return "\n".join(lines) + "\n"


def apply_lines(a: dict[str, Any]) -> list[str]:
    """Text lines describing an ``apply`` section."""
    what = "would write" if a["dry_run"] else "wrote"
    src = f"{a['audio_codec']} {a['rate']} Hz, {a['channels']} ch"
    how = "stream copy, re-stamped" if a["audio_codec"] == "copy" else src
    if a["resampled"]:
        how += f", resampled for {a['drift_ppm']:+.2f} ppm"
    lines = [f"apply       {what} {a['output']} ({a['mode']} mode: "
             + ("REF's video copied + " if a["mode"] == "video" else "")
             + f"OTHER's audio on REF's timeline, {how})"]  # fmt: skip
    if a.get("video_packets_copied"):
        lines.append(f"            {a['video_packets_copied']} video packets copied bit-exact")
    if a["dry_run"]:
        lines.append(f"            ffmpeg equivalent: {a['ffmpeg_command']}")
    v = a.get("verify")
    if v:
        for k in ("start", "end"):
            e = v[k]
            got = f"{e['offset_s'] * 1e3:+.3f} ms" if e["offset_s"] is not None else f"failed ({e['error']})"
            lines.append(f"verify      {k:5s} REF {e['ref_start_s']:.1f}-{e['ref_end_s']:.1f} s: residual {got}")
        lines.append(f"            {'passed' if v['passed'] else 'FAILED'} (tolerance {v['tolerance_s'] * 1e3:.1f} ms)")
    return lines


def _csv_rows(entries: Iterable[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for d in entries:
        w.writerow(
            {
                "ref": d["ref"]["path"],
                "other": d["other"]["path"],
                "status": d["status"],
                "offset_s": d.get("offset_s", ""),
                "offset_samples": d.get("offset_samples", ""),
                "analysis_rate": d.get("analysis_rate", ""),
                "confidence": d.get("confidence", ""),
                "method": d.get("method", ""),
                "overlap_s": (d.get("overlap") or {}).get("duration_s", ""),
                "action": d.get("action", ""),
                "exit_code": d.get("exit_code", 0),
                "error": d.get("error", ""),
                "drift_ppm": d.get("drift_ppm", ""),
                "discontinuities": len(d.get("discontinuities", [])) if "offset_s" in d else "",
            }
        )
    return buf.getvalue()


def render(entries: list[dict[str, Any]], fmt: str, as_list: bool) -> str:
    """Render report entries.

    Parameters
    ----------
    entries : list of dict
        One report dict per pair.
    fmt : {"text", "json", "jsonl", "csv"}
        Output format.
    as_list : bool
        JSON only: a list even for one entry (``align REF A B C`` gives a list).
    """
    if fmt == "json":
        obj: Any = entries if as_list or len(entries) != 1 else entries[0]
        return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in entries)
    if fmt == "csv":
        return _csv_rows(entries)
    if fmt == "text":
        return "\n".join(_text_one(d) for d in entries)
    raise ValueError(f"unknown format {fmt!r}")
