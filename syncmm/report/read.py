"""Read reports back (``syncmm apply REPORT.json``) and check that they belong to the files at hand."""

from __future__ import annotations

import json
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
    return entries


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
