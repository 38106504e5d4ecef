"""The JSON report, ``"schema": "syncmm.report/1"``: keys are only ever added, never renamed or removed."""

from __future__ import annotations

import shlex
from fractions import Fraction
from typing import Any

from .._version import __version__
from ..timefmt import format_timecode
from ..types import MediaInfo, SyncResult

SCHEMA = "syncmm.report/1"
SIGN_CONVENTION = "offset_s = t_REF - t_OTHER; positive: delay OTHER by offset_s (ffmpeg -itsoffset offset_s -i OTHER)"


def _r(x: float | None, nd: int = 6) -> float | None:
    return None if x is None else round(float(x), nd)


def _media(info: MediaInfo, stream_index: int, t0: float, decoded_s: float) -> dict[str, Any]:
    st = next((s for s in info.streams if s.index == stream_index), None)
    d: dict[str, Any] = {
        "path": info.path,
        "format": info.format,
        "duration_s": _r(info.duration_s),
        "stream": stream_index,
        "codec": st.codec if st else None,
        "sample_rate": st.sample_rate if st else None,
        "channels": st.channels if st else None,
        "start_time_s": _r(t0),
        "audio_duration_s": _r(decoded_s),
    }
    v = info.video_streams
    if v:
        d["video"] = {
            "stream": v[0].index,
            "frame_rate": v[0].frame_rate,
            "width": v[0].width,
            "height": v[0].height,
        }
    return d


def ffmpeg_argv(ref: str, other: str, offset_s: float, out: str = "synced.mkv", kind: str = "a") -> list[str]:
    """The ffmpeg command that puts OTHER's audio (``kind="v"``: video) next to REF's streams, shifted by
    ``offset_s``."""
    return [
        "ffmpeg", "-i", ref, "-itsoffset", f"{offset_s:.6f}", "-i", other,
        "-map", "0", "-map", f"1:{kind}", "-c", "copy", out,
    ]  # fmt: skip


def tolerance_check(offset_s: float, expected_s: float, tolerance_s: float) -> dict[str, Any]:
    """The ``checks.tolerance`` entry: passed when ``|offset_s - expected_s| <= tolerance_s``."""
    ok = abs(offset_s - expected_s) <= tolerance_s
    return {
        "passed": ok, "expected_s": expected_s, "tolerance_s": tolerance_s,
        "detail": f"|{offset_s:+.6f} - {expected_s:+.6f}| {'<=' if ok else '>'} {tolerance_s:.6f} s",
    }  # fmt: skip


def plain_action(offset_s: float, other: str) -> tuple[str, dict[str, Any]]:
    """Sign-free description: ``("delay", {...})`` or ``("trim", {...})``."""
    if offset_s >= 0:
        return "delay", {"file": other, "seconds": _r(offset_s)}
    return "trim", {"file": other, "seconds": _r(-offset_s)}


def action_words(offset_s: float) -> str:
    if abs(offset_s) < 5e-7:
        return "in sync: OTHER needs no change"
    if offset_s > 0:
        return f"delay OTHER by {offset_s:.6f} s (OTHER starts {offset_s:.3f} s into REF)"
    return f"cut {-offset_s:.6f} s from OTHER's start (REF starts {-offset_s:.3f} s into OTHER)"


def confidence_words(c: float) -> str:
    return "high" if c >= 0.7 else "medium" if c >= 0.5 else "low"


def result_to_dict(res: SyncResult, status: str = "ok", checks: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report of one aligned pair as a JSON-ready dict."""
    e = res.estimate
    off = res.offset_s
    ref = _media(res.ref, res.ref_stream, res.ref_t0, res.ref_signal_duration_s)
    oth = _media(res.other, res.other_stream, res.other_t0, res.other_signal_duration_s)
    kind, plain = plain_action(off, res.other.path)
    argv = ffmpeg_argv(res.ref.path, res.other.path, off, kind="v" if e.method.startswith("motion") else "a")
    d: dict[str, Any] = {
        "schema": SCHEMA,
        "status": status,
        "ref": ref,
        "other": oth,
        "offset_s": _r(off),
        "offset_samples": _r(off * e.sample_rate, 3),
        "drift_ppm": _r(res.drift_ppm, 3),
        "analysis_rate": e.sample_rate,
        "confidence": _r(e.confidence, 4),
        "confidence_words": confidence_words(e.confidence),
        "method": e.method,
        "features": list(e.features),
        "overlap": {
            "ref_start_s": _r(e.overlap[0]),
            "ref_end_s": _r(e.overlap[1]),
            "other_start_s": _r(e.overlap[2]),
            "other_end_s": _r(e.overlap[3]),
            "duration_s": _r(e.overlap_s),
        },
        kind: plain,
        "action": action_words(off),
        "sign_convention": SIGN_CONVENTION,
        "ffmpeg": argv,
        "ffmpeg_command": shlex.join(argv),
        "drift": _drift(res),
        "segments": [
            {
                "ref_time_s": _r(g.ref_time_s),
                "offset_s": _r(g.offset_s),
                "confidence": _r(g.confidence, 4),
                "correlation": _r(g.correlation, 4),
                "used": g.used,
            }
            for g in (res.drift.segments if res.drift else ())
        ],  # fmt: skip
        "discontinuities": [
            {"ref_time_s": _r(d.ref_time_s), "jump_s": _r(d.jump_s), "ref_resume_s": _r(d.ref_resume_s)}
            for d in (res.drift.discontinuities if res.drift else ())
        ],
        "details": {
            "single_window_offset_s": _r(e.offset_s),
            "coarse_offset_s": _r(e.coarse_offset_s),
            "fine_correlation": _r(e.fine_correlation, 4),
            "peak_score": _r(e.peak_score, 3),
            "runner_up_score": _r(e.runner_up_score, 3),
            "runner_up_offset_s": _r(e.runner_up_offset_s),
        },
        "polarity": "inverted" if e.inverted else "normal",
        "warnings": [*res.input_warnings, *e.warnings],
        "tool": {"name": "syncmm", "version": __version__},
    }
    rate = (ref.get("video") or oth.get("video") or {}).get("frame_rate")
    if rate:
        fps = Fraction(rate)
        d["frames"] = {
            "frame_rate": rate,
            "offset_frames": _r(off * float(fps), 3),
            "offset_timecode": ("-" if off < 0 else "") + format_timecode(abs(off), fps),
        }
    if checks:
        d["checks"] = checks
    return d


DRIFT_MODEL = "t_OTHER = (t_REF - offset_s) * (1 + drift_ppm * 1e-6); drift_ppm > 0: OTHER's clock runs fast"


def _drift(res: SyncResult) -> dict[str, Any] | None:
    d = res.drift
    if d is None:
        return None
    return {
        "ppm": _r(d.drift_ppm, 3),
        "offset_s": _r(d.offset_s),
        "model": DRIFT_MODEL,
        "residual_rms_s": _r(d.residual_rms_s),
        "residual_max_s": _r(d.residual_max_s),
        "windows_used": d.n_used,
        "windows": len(d.segments),
        "fit_span": {"ref_start_s": _r(d.fit_span[0]), "ref_end_s": _r(d.fit_span[1])},
    }


def error_entry(ref: str, other: str, exit_code: int, message: str) -> dict[str, Any]:
    """The report entry of a pair that could not be aligned."""
    status = "no_alignment" if exit_code == 4 else "error"
    return {
        "schema": SCHEMA,
        "status": status,
        "exit_code": exit_code,
        "error": message,
        "ref": {"path": ref},
        "other": {"path": other},
        "tool": {"name": "syncmm", "version": __version__},
    }
