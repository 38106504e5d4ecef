"""Reports of ``syncmm check``: the dict (``"kind": "check"``), text and JUnit XML."""

from __future__ import annotations

from typing import Any

from .._version import __version__
from .schema import SCHEMA


def words(offset_s: float) -> str:
    """Plain words: picture minus audio; negative means the audio is late."""
    ms = abs(offset_s) * 1e3
    if ms < 0.5:
        return "audio and picture are in sync"
    return f"audio is {ms:.0f} ms {'late' if offset_s < 0 else 'early'}"


def check_report(est, info, checks: dict[str, Any]) -> dict[str, Any]:
    """The ``check`` report of a :class:`~syncmm.alignment.lipsync.LipSyncEstimate` (the speaker's face
    travels on the estimate's ``extra``)."""
    failed = any(not c["passed"] for c in checks.values())
    d: dict[str, Any] = {
        "schema": SCHEMA,
        "kind": "check",
        "status": "check_failed" if failed else "ok",
        "path": info.path,
        "offset_s": round(est.offset_s, 6),
        "sign_convention": "offset_s = t_picture - t_audio; negative: the audio is late (cut |offset_s| from it)",
        "words": words(est.offset_s),
        "confidence": round(est.confidence, 4),
        "confidence_words": est.confidence_words,
        "strength": round(est.strength, 3),
        "correlation": round(est.correlation, 4),
        "runner_up_offset_s": est.runner_up_offset_s,
        "raw_offset_s": round(est.raw_offset_s, 6),
        "bias_s": est.bias_s,
        "face_s": round(est.face_s, 2),
        "speech_s": round(est.speech_s, 2),
        "method": {"cca": "lips-cca", "opening": "lips-opening"}.get(est.method, est.method),
        "face": {k: est.extra[k] for k in ("box", "start_s", "end_s", "faces") if k in est.extra} or None,
        "segments": [
            {
                "start_s": round(g.start_s, 3),
                "end_s": round(g.end_s, 3),
                "offset_s": None if g.offset_s is None else round(g.offset_s, 6),
                "confidence": round(g.confidence, 4),
            }
            for g in est.segments
        ],  # fmt: skip
        "sync_step_s": None if est.step_s is None else round(est.step_s, 2),
        "tool": {"name": "syncmm", "version": __version__},
    }
    if checks:
        d["checks"] = checks
    return d


def check_text(d: dict[str, Any]) -> str:
    lines = [
        f"VIDEO       {d['path']}",
        f"offset      {d['offset_s']:+.3f} s   (t_picture - t_audio): {d['words']}",
        f"confidence  {d['confidence']:.3f}   {d.get('confidence_words') or ''}",
        f"evidence    face {d['face_s']:.1f} s, speech with a face {d['speech_s']:.1f} s"
        + (f"; speaker: face {d['face']['box']} of {d['face']['faces']}" if (d.get("face") or {}).get("faces", 1) > 1
           else ""),
    ]  # fmt: skip
    for g in d.get("segments") or []:
        off = "undecided" if g["offset_s"] is None else f"{g['offset_s']:+.3f} s"
        lines.append(f"segment     {g['start_s']:7.2f}-{g['end_s']:7.2f} s  {off}  (confidence {g['confidence']:.2f})")
    if d.get("sync_step_s") is not None:
        lines.append(f"sync step   the offset changes at about {d['sync_step_s']:.1f} s in the picture")
    for name, c in (d.get("checks") or {}).items():
        lines.append(f"check       {name}: {'pass' if c['passed'] else 'FAIL'}")
    if d.get("fix"):
        lines.append(f"fix         wrote {d['fix']['output']}")
    return "\n".join(lines) + "\n"


def junit_xml(d: dict[str, Any]) -> str:
    """One ``<testcase>`` for the file: ``<failure>`` when a check failed."""
    from ..types import Check
    from .junit import junit_xml as suite

    failed = d["status"] == "check_failed"
    c = Check(d["path"], not failed, d["words"] if failed else "", str(d.get("checks")) if failed else "")
    return suite("syncmm check", "syncmm.check", [c])
