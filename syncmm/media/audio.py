"""Decode one audio stream to mono float32 at an analysis rate, on the file's own timeline."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import numpy as np

from ..exceptions import ParameterError
from ..types import Signal
from ._samples import SampleBuffer, capacity
from .reader import AudioReader, ProgressFn
from .split import Tail, join_tail

log = logging.getLogger(__name__)

#: A stereo mix with less than this share of its channels' energy cancels itself (L = -R); it is looked for
#: only when the mix peaks below QUIET_PEAK (full scale 1).
CANCEL_SHARE = 0.01
QUIET_PEAK = 1e-3


def load_audio(
    path: str | os.PathLike,
    sr: int = 16000,
    stream: int | None = None,
    progress: ProgressFn | None = None,
    allow_damaged: bool = False,
    tail: Tail | None = None,
    out: np.ndarray | None = None,
    on_samples: Callable[[np.ndarray, int], None] | None = None,
) -> Signal:
    """Decode an audio stream to mono float32 at ``sr`` Hz.

    The first sample's time ``t0`` is on the file's own timeline: the stream's start time in containers
    that define a timeline (MP4/MOV edit lists, Matroska, Ogg, AVI), relative to the container's start in
    MPEG program/transport streams, and 0 for raw audio files (WAV, FLAC, MP3, ADTS).  Codec priming
    (AAC, Opus pre-skip, MP3 encoder/decoder delay from the LAME header) is removed by FFmpeg and does
    not shift ``t0``.  Timestamp gaps are filled with silence so that sample ``i`` is at ``t0 + i/sr``.

    Parameters
    ----------
    path : str or PathLike
        Any file FFmpeg reads: wav, flac, mp3, ogg, opus, m4a, aac, mp4, mov, mkv, avi, mpg...
    sr : int
        Analysis sample rate in Hz.
    stream : int, optional
        Which audio stream, counting audio streams from 0 (default: the first).
    progress : callable, optional
        Called as ``progress(seconds_done, seconds_total_or_None)`` while decoding.
    allow_damaged : bool
        Use a stream that lost more than 1 % (or 5 s) of its audio to damage or truncation; it is refused
        otherwise.  Smaller damage is a warning in ``Signal.warnings``.
    tail : Tail, optional
        The end of the stream being decoded in another process: decoding here stops where it begins, and
        its samples are taken when they equal this decode's over :data:`OVERLAP_S` and both parts were
        regular; otherwise this decode goes on to the end.  The samples are the same either way.
    out : np.ndarray, optional
        float32 memory to decode into (shared with another process; with ``tail``, its buffer).  The
        returned ``Signal.y`` is a view of it when the samples fit (``np.shares_memory``), else new memory.
    on_samples : callable, optional
        ``on_samples(a, n)`` as samples are decoded: ``a[:n]`` holds the stream's first ``n`` samples, final
        (written once: later calls only add to them; ``a`` is another array once they outgrow ``out``).

    Returns
    -------
    Signal

    Raises
    ------
    InputError, DecodeError, NoStreamError
        The file is missing, not media, damaged or truncated, or has no such audio stream.
    """
    if sr <= 0 or sr > 384000:
        raise ParameterError(f"analysis rate {sr} Hz is out of range")
    with AudioReader(path, stream, rate=sr, mono=True) as r:
        if tail is None:
            buf = SampleBuffer(capacity(r.total_s or 60.0, sr), storage=out)
            for x in r.chunks(progress):
                buf.append(x[0])
                if on_samples is not None:
                    on_samples(buf.a, buf.n)
        else:
            if out is not None and out is not tail.buffer:
                raise ParameterError("a tail is decoded into its own buffer: give that buffer as out")
            buf = SampleBuffer(0, storage=tail.buffer)
            join_tail(r, buf, tail, progress)
            if on_samples is not None:
                on_samples(buf.a, buf.n)
        warnings = [w for w in (r.damage.check(path, allow_damaged),) if w]
        t0, index, native_rate, channels, codec = r.t0, r.stream.index, r.native_rate, r.native_channels, r.codec
    y = buf.result()
    if channels == 2 and len(y) and max(float(y.max()), -float(y.min())) < QUIET_PEAK:  # (no |y| copy)
        # near silence from a stereo stream: do the channels cancel when mixed (one wired in reverse, L = -R)?
        e_mix = e_ch = 0.0
        side = SampleBuffer(len(y) + sr)
        with AudioReader(path, stream, rate=sr, mono=False) as r2:
            for x in r2.chunks():
                m = 0.5 * (x[0] + x[1])
                e_mix += float(np.dot(m, m))
                e_ch += 0.5 * float(np.dot(x[0], x[0]) + np.dot(x[1], x[1]))
                side.append(0.5 * (x[0] - x[1]))
        if e_ch > 0 and e_mix < CANCEL_SHARE * e_ch:
            y = side.result()
            warnings.append("the stereo channels cancel when mixed (one is the other inverted): used (L - R) / 2")
    for w in warnings:
        log.warning("%s: %s", path, w)
    return Signal(
        y=y,
        sr=sr,
        t0=float(t0 or 0.0),
        source=str(path),
        stream_index=index,
        native_rate=native_rate,
        channels=channels,
        codec=codec,
        warnings=tuple(warnings),
    )
