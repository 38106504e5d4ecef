"""One stream decoded by two processes: the second decodes its end, the first joins it to its own start.

The end is decoded from a native sample where FFmpeg's resampler restarts on the same phase, with the
decoder primed on the packets before (:meth:`~syncmm.media.reader.AudioReader.chunks` ``start``); the
two parts are joined only when they give the same samples to the bit over :data:`OVERLAP_S` and neither
met anything irregular (damage, a gap, a format change), so the samples are the one decode's either way.
Which files to split, and where: :func:`split_plan` (the processes: :mod:`syncmm.media.pool`).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..types import MediaInfo
from ._samples import SampleBuffer
from .reader import AudioReader, ProgressFn

log = logging.getLogger(__name__)

#: From a ``start``, the resampler's output is exact after this (FFmpeg's swr: 16 samples).
WARMUP_S = 0.1
#: A stream's head and its tail decoded elsewhere must give the same samples over this long to be joined.
OVERLAP_S = 0.5
#: Files at least this long are decoded by two processes (:func:`split_start`) when decoded in parallel.
SPLIT_MIN_S = 120.0
_SPLIT_FORMATS = {"mp3", "wav", "flac"}
#: Split only a file that is more than this share of the decoding work (:func:`decode_cost`): on this 2-core VM a
#: third process slows the other two, and splitting the MP3 of a 0.62 / 0.37 s pair (10-min MP3 and AAC, a 0.64
#: share) gave no consistent gain (median wall of two alternating runs: 7 % slower, 10 % faster), while a
#: 0.62 / 0.15 s pair (MP3 and WAV, 0.82) gained 19 % and a 60-min MP3 against a 10-min AAC (0.91) 32 % (median;
#: bench/bench_split.py).
SPLIT_SHARE = 2 / 3
_COST_PER_MIN = {"mp3": 0.044, "mp3float": 0.044, "aac": 0.037, "opus": 0.071, "pcm": 0.016, "flac": 0.025,
                 "vorbis": 0.06}  # fmt: skip


@dataclass(frozen=True)
class Tail:
    """The end of a stream decoded in another process (:func:`decode_tail`), for ``load_audio`` to join.

    ``buffer`` is shared with that process, which writes the samples from ``start * sr // native_rate``
    + :data:`WARMUP_S` + :data:`OVERLAP_S` on straight into it; ``wait()`` blocks until it is done and gives
    the index after its last sample and the samples of the overlap before (None: it failed, or decoding it
    was not regular); ``cancel()`` stops it.
    """

    start: int
    buffer: np.ndarray
    wait: Callable[[], tuple[int, np.ndarray] | None]
    cancel: Callable[[], None]


def tail_span(start: int, native_rate: int, sr: int) -> tuple[int, int]:
    """Where a tail from native sample ``start`` is compared (its overlap) with the stream's head: ``(a, b)``."""
    a = start * sr // native_rate + int(WARMUP_S * sr)
    return a, a + int(OVERLAP_S * sr)


def decode_tail(path: str | os.PathLike, sr: int, stream: int | None, start: int, out: np.ndarray
                ) -> tuple[int, np.ndarray] | None:  # fmt: skip
    """Decode a stream from native sample ``start`` on, as :class:`Tail` says; its ``wait()`` result.

    None when the stream is not regular there (damage, a gap, a format change) or overruns ``out``.
    """
    with AudioReader(path, stream, rate=sr, mono=True) as r:
        a, b = tail_span(start, r.native_rate or 0, sr)
        overlap = np.empty(b - a, np.float32)
        i = start * sr // (r.native_rate or 1)
        for x in r.chunks(start=start):
            x = x[0]
            j = i + len(x)
            if j > len(out):
                return None
            if j > a and i < b:  # the part in the overlap
                overlap[max(i, a) - a : min(j, b) - a] = x[max(i, a) - i : min(j, b) - i]
            if j > b:
                out[max(i, b) : j] = x[max(i, b) - i :]
            i = j
        return (i, overlap) if r.regular and i > b else None


def join_tail(r: AudioReader, buf: SampleBuffer, tail: Tail, progress: ProgressFn | None) -> bool:
    """Decode the head of ``r``'s stream into ``buf`` and join ``tail`` (True); or decode it all (False)."""
    a, b = tail_span(tail.start, r.native_rate or 0, r.rate)
    chunks = r.chunks(progress)
    try:
        for x in chunks:
            x = x[0]
            if buf.n + len(x) < b:
                buf.append(x)
                continue
            k = b - buf.n
            buf.append(x[:k])
            got = tail.wait() if r.regular and buf.a is tail.buffer else None  # (not grown out of it)
            if got is not None and np.array_equal(buf.a[a:b], got[1]):
                chunks.close()
                log.debug("%s: joined its end, decoded beside from %.1f s", r.path, a / r.rate)
                buf.n = got[0]
                r.end(buf.n, progress)
                return True
            tail.cancel()  # it has stopped writing: its samples after b are overwritten from here
            buf.append(x[k:])
            break
        for x in chunks:
            buf.append(x[0])
        return False
    finally:
        tail.cancel()


def _stream(info: MediaInfo, stream: int | None):
    aud = info.audio_streams
    k = stream or 0
    return aud[k] if 0 <= k < len(aud) else None


def decode_cost(info: MediaInfo, stream: int | None) -> float:
    """Roughly the CPU seconds decoding a file's audio stream to the analysis rate takes (to balance work).

    Per minute of a mono 48 kHz stream, measured on the bench's 10-min files (one each, min of 8, to 16 kHz):
    MP3 0.044 s, AAC 0.037, Opus 0.071, 16-bit PCM 0.016 (FLAC and Vorbis guessed); a second channel adds half
    (a 48 kHz stereo MP3: 0.062).
    """
    st = _stream(info, stream)
    if st is None or not info.duration_s:
        return 0.0
    per_min = _COST_PER_MIN.get("pcm" if st.codec.startswith("pcm_") else st.codec, 0.05)
    rate = (st.sample_rate or 48000) / 48000
    return info.duration_s / 60 * per_min * rate * (1 + 0.5 * ((st.channels or 1) - 1))


def split_start(info: MediaInfo, stream: int | None, sr: int) -> int | None:
    """Where a file's end can be decoded in a second process (:class:`Tail`), or None.

    Raw MP3, WAV and FLAC streams of at least :data:`SPLIT_MIN_S` are split in the middle, at a native sample
    where FFmpeg's resampler restarts on the same phase (a multiple of ``native_rate / gcd(native_rate, sr)``).
    Their decoders restart exactly after a few frames; AAC's does not (its noise substitution draws from a
    random state carried from frame to frame), nor Opus's or Vorbis's (long overlaps; untested).
    """
    st = _stream(info, stream)
    if st is None or not set(info.format.split(",")) & _SPLIT_FORMATS:
        return None
    nr, d = st.sample_rate, info.duration_s
    if not (st.codec in ("mp3", "mp3float", "flac") or st.codec.startswith("pcm_")) or not nr or not d:
        return None
    if d < SPLIT_MIN_S:
        return None
    period = nr // math.gcd(nr, sr)
    return int(d * nr / 2) // period * period


def split_plan(jobs: Sequence[tuple[MediaInfo, int | None]], sr: int) -> list[int | None]:
    """For files decoded at once, one process each: where to split each between two processes, or None.

    A file is split (:func:`split_start`) when it is more than :data:`SPLIT_SHARE` of the work
    (:func:`decode_cost`): a long recording against a short clip, an MP3 against a WAV.
    """
    costs = [decode_cost(info, stream) for info, stream in jobs]
    total = sum(costs)
    return [split_start(info, stream, sr) if c > SPLIT_SHARE * total else None
            for (info, stream), c in zip(jobs, costs, strict=True)]  # fmt: skip
