"""Lip sync of one file: decode, faces, speech envelope, estimate (the I/O around :mod:`.lipsync`).

Kept apart from ``pipeline.py`` so that ``syncmm check`` does not import the offset estimators.
"""

from __future__ import annotations

import os
from collections.abc import Callable

StageFn = Callable[[str, float, "float | None"], None]


def measure_lipsync(
    path: str | os.PathLike,
    *,
    max_offset: float = 1.0,
    width: int = 640,
    progress: StageFn | None = None,
):
    """The A/V offset of one file from its speaker's lips (see :mod:`syncmm.alignment.lipsync`).

    Returns ``(LipSyncEstimate, MediaInfo)``.  Raises NoStreamError (exit 3) without audio or video,
    AlignmentError (exit 4) without a face or speech.
    """
    from ..features.lips import track_mouth
    from ..media import load_audio, probe
    from ..media.video import VideoReader
    from .lipsync import estimate_av_offset, speech_envelope

    info = probe(path)
    if not info.audio_streams:
        from ..exceptions import NoStreamError

        raise NoStreamError(f"{path}: has no audio stream: lip sync needs the sound")
    native = next((s.width for s in info.video_streams if s.width), width)
    w = min(width, native)
    with VideoReader(path, width=w - w % 2, pix_fmt="rgb24") as r:
        total = float(r.stream.duration * r.stream.time_base) if r.stream.duration else None

        def frames():
            last = -10.0
            for t, f in r.frames():
                if progress is not None and t - last >= 2.0:
                    last = t
                    progress("faces", max(t, 0.0), total)
                yield t, f

        tr = track_mouth(frames())
    sig = load_audio(path, 16000)
    et, ev = speech_envelope(sig.y, sig.sr, sig.t0)
    return estimate_av_offset(tr.times, tr.opening, et, ev, max_offset=max_offset), info
