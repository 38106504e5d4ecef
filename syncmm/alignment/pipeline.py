"""Paths in, SyncResult out: the media layer decodes, the core estimates."""

from __future__ import annotations

import os
from collections.abc import Callable

from ..exceptions import InputError
from ..types import Signal, SyncResult
from .xcorr import DEFAULT_MIN_CONFIDENCE, estimate_offset

StageFn = Callable[[str, float, float | None], None]


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def align(
    ref: str | os.PathLike,
    other: str | os.PathLike,
    *,
    ref_stream: int | None = None,
    other_stream: int | None = None,
    sr: int = 16000,
    max_offset: float | None = None,
    min_overlap: float | None = None,
    method: str = "xcorr",
    fine_window: float = 30.0,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    progress: StageFn | None = None,
    ref_signal: Signal | None = None,
) -> SyncResult:
    """Align the audio of ``other`` to the audio of ``ref``.

    Parameters
    ----------
    ref, other : str or PathLike
        Media files (any format FFmpeg reads).  ``offset_s`` is ``t_ref - t_other`` of the same event.
    ref_stream, other_stream : int, optional
        Audio stream of each (counting audio streams from 0; default the first).
    sr : int
        Analysis sample rate in Hz.
    max_offset, min_overlap, method, fine_window, min_confidence
        See :func:`syncmm.estimate_offset`.
    progress : callable, optional
        ``progress(stage, done, total)`` with stage ``"decode REF"``, ``"decode OTHER"``, ``"align"``.
    ref_signal : Signal, optional
        REF already decoded at ``sr`` (reuse it when aligning several files to one REF).

    Returns
    -------
    SyncResult

    Raises
    ------
    InputError, DecodeError, NoStreamError
        An input cannot be read or has no such audio stream (exit 3).
    AlignmentError
        No reliable alignment (exit 4).
    """
    from ..media import load_audio, probe

    ref_info = probe(ref)
    other_info = probe(other)

    def cb(stage: str):
        if progress is None:
            return None
        return lambda done, total: progress(stage, done, total)

    if ref_signal is None or ref_signal.sr != sr:
        ref_signal = load_audio(ref, sr=sr, stream=ref_stream, progress=cb("decode REF"))
    oth = load_audio(other, sr=sr, stream=other_stream, progress=cb("decode OTHER"))
    if progress is not None:
        progress("align", 0.0, None)
    est = estimate_offset(
        ref_signal.y,
        oth.y,
        sr,
        t0_x=ref_signal.t0,
        t0_y=oth.t0,
        max_offset=max_offset,
        min_overlap=min_overlap,
        method=method,
        fine_window=fine_window,
        min_confidence=min_confidence,
    )
    if ref_signal.stream_index is None or oth.stream_index is None:
        raise InputError("internal: decoded signals lack their stream index")
    return SyncResult(
        ref=ref_info,
        other=other_info,
        ref_stream=ref_signal.stream_index,
        other_stream=oth.stream_index,
        estimate=est,
        ref_t0=ref_signal.t0,
        other_t0=oth.t0,
        ref_signal_duration_s=ref_signal.duration_s,
        other_signal_duration_s=oth.duration_s,
    )
