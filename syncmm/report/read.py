"""Read reports back (``syncmm apply REPORT.json``) and check that they belong to the files at hand."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from ..exceptions import InputError, ParameterError
from ..types import MediaInfo
from .schema import SCHEMA

_DURATION_TOL_S = 0.05


def load_report(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The entries of a JSON or JSON Lines report written by ``syncmm align``.

    Raises
    ------
    InputError
        Missing or unreadable file.
    ParameterError
        Not a syncmm report.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ParameterError(f"{p}: is not a syncmm report (not JSON text)") from None
    except OSError as e:
        raise InputError(f"{p}: cannot read the report ({e.strerror or e})") from e
    try:
        obj: Any = json.loads(text)
    except json.JSONDecodeError:
        try:
            obj = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as e:
            raise ParameterError(f"{p}: is not a JSON report (syncmm align --format json): {e}") from None
    entries = obj if isinstance(obj, list) else [obj]
    if not entries or not all(isinstance(d, dict) and d.get("schema") == SCHEMA for d in entries):
        raise ParameterError(f'{p}: is not a syncmm report (expected "schema": "{SCHEMA}")')
    for k, d in enumerate(entries):
        why = _malformed(d)
        if why:
            where = f"result {k}" if len(entries) > 1 else "the report"
            raise ParameterError(f"{p}: {where} is damaged or edited by hand: {why}")
    return entries


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _malformed(d: dict[str, Any]) -> str | None:
    """What makes a report entry unusable (wrong types, missing fields, NaN), or None."""

    def media(m: Any, name: str) -> str | None:
        if not isinstance(m, dict) or not isinstance(m.get("path"), str) or not m["path"]:
            return f"{name} has no path"
        for key in ("duration_s", "audio_duration_s", "start_time_s", "media_start_s", "start_s"):
            if m.get(key) is not None and not _number(m[key]):
                return f"{name}.{key} is not a finite number ({m[key]!r})"
        return None

    if d.get("kind") == "timeline":
        files = d.get("files")
        if not isinstance(files, list) or not files:
            return "no files"
        for i, f in enumerate(files):
            why = media(f, f"files[{i}]")
            if why:
                return why
            if f.get("status") == "ok" and not _number(f.get("start_s")):
                return f"files[{i}].start_s is not a finite number ({f.get('start_s')!r})"
        return None
    for role in ("ref", "other"):
        why = media(d.get(role), role)
        if why:
            return why
    if d.get("status") in ("ok", "check_failed"):
        for key in ("offset_s", "drift_ppm"):
            if key == "offset_s" or d.get(key) is not None:
                if not _number(d.get(key)):
                    return f"{key} is not a finite number ({d.get(key)!r})"
    return None


def pick_entry(entries: list[dict[str, Any]], index: int | None, where: str) -> dict[str, Any]:
    """The entry to apply: ``index``, or the only one."""
    if index is None:
        if len(entries) != 1:
            raise ParameterError(
                f"{where}: holds {len(entries)} results; choose one with --index (0..{len(entries) - 1})"
            )
        index = 0
    if not 0 <= index < len(entries):
        raise ParameterError(f"{where}: has no result {index} (0..{len(entries) - 1})")
    d = entries[index]
    if d.get("status") not in ("ok", "check_failed") or d.get("offset_s") is None:
        raise ParameterError(f"{where}: result {index} has no offset (status {d.get('status')!r}); nothing to apply")
    return d


def locate(recorded: str, report_path: str | os.PathLike) -> Path:
    """A path as recorded in a report: as written (relative to the working folder) or beside the report."""
    p = Path(recorded)
    if p.is_absolute() or p.exists():
        return p
    beside = Path(report_path).parent / p
    return beside if beside.exists() else p


def mismatch(recorded: dict[str, Any], info: MediaInfo) -> str | None:
    """Why ``info`` (a file probed now) is not the file ``recorded`` in a report, or None if it matches."""
    dur = recorded.get("duration_s")
    if dur is not None and info.duration_s is not None and abs(dur - info.duration_s) > _DURATION_TOL_S:
        return f"duration {info.duration_s:.3f} s, the report's is {dur:.3f} s"
    st = next((s for s in info.streams if s.index == recorded.get("stream")), None)
    if st is None or st.type != "audio":
        return f"it has no audio stream {recorded.get('stream')}"
    for key, have in (("codec", st.codec), ("sample_rate", st.sample_rate), ("channels", st.channels)):
        want = recorded.get(key)
        if want is not None and have is not None and want != have:
            return f"its audio {key} is {have}, the report's is {want}"
    return None
