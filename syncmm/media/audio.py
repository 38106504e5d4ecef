"""Decode one audio stream to mono float32 at an analysis rate, on the file's own timeline."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import numpy as np

from ..exceptions import DecodeError, NoStreamError, ParameterError
from ..types import Signal
from ._open import open_container

log = logging.getLogger(__name__)

#: Containers whose timestamps are a presentation timeline that starts at zero by specification: a stream
#: that starts later (an empty edit in MP4, a later first block in Matroska) really does start later.
_TIMELINE_FORMATS = ("mov", "mp4", "matroska", "webm", "ogg", "avi", "nut", "flv", "asf")
#: Containers whose timestamps come from a running clock (MPEG PS/TS): the origin is the container's start.
_CLOCK_FORMATS = ("mpeg", "mpegts", "mpegtsraw", "mpegvideo")

_GAP_S = 0.002  # timestamp jumps larger than this are gaps and are filled with silence

ProgressFn = Callable[[float, float | None], None]


def _timeline_kind(format_name: str) -> str:
    names = set(format_name.split(","))
    if names & set(_TIMELINE_FORMATS):
        return "timeline"
    if names & set(_CLOCK_FORMATS):
        return "clock"
    return "raw"


class _Buffer:
    """Growable float32 buffer: decoded audio is written once, without a list of chunks to concatenate."""

    def __init__(self, capacity: int):
        self.a = np.empty(max(capacity, 4096), np.float32)
        self.n = 0

    def append(self, x: np.ndarray) -> None:
        need = self.n + len(x)
        if need > len(self.a):
            new = np.empty(max(need, int(len(self.a) * 1.5)), np.float32)
            new[: self.n] = self.a[: self.n]
            self.a = new
        self.a[self.n : need] = x
        self.n = need

    def zeros(self, k: int) -> None:
        self.append(np.zeros(k, np.float32))

    def result(self) -> np.ndarray:
        if self.n >= 0.9 * len(self.a):
            return self.a[: self.n]
        return self.a[: self.n].copy()


def _samples(frame) -> np.ndarray:
    """The samples of a packed mono float32 frame, without a copy (faster than ``to_ndarray``)."""
    return np.frombuffer(frame.planes[0], np.float32, frame.samples)


def load_audio(
    path: str | os.PathLike,
    sr: int = 16000,
    stream: int | None = None,
    progress: ProgressFn | None = None,
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

    Returns
    -------
    Signal

    Raises
    ------
    InputError, DecodeError, NoStreamError
        The file is missing, not media, or has no such audio stream.
    """
    import av

    if sr <= 0 or sr > 384000:
        raise ParameterError(f"analysis rate {sr} Hz is out of range")
    with open_container(path) as c:
        audio = c.streams.audio
        if len(audio) == 0:
            kinds = ", ".join(s.type for s in c.streams) or "nothing"
            raise NoStreamError(f"{path}: has no audio stream (it holds {kinds})")
        k = 0 if stream is None else stream
        if not 0 <= k < len(audio):
            raise NoStreamError(f"{path}: has no audio stream {k} (it has {len(audio)}: 0..{len(audio) - 1})")
        st = audio[k]
        kind = _timeline_kind(c.format.name)
        origin = c.start_time / 1e6 if (kind == "clock" and c.start_time is not None) else 0.0

        total = None
        if st.duration is not None and st.time_base is not None:
            total = float(st.duration * st.time_base)
        elif c.duration is not None:
            total = c.duration / 1e6
        buf = _Buffer(int((total or 60.0) * sr * 1.01) + sr)

        def new_resampler():
            return av.AudioResampler(format="flt", layout="mono", rate=sr)

        res = new_resampler()
        first_t: float | None = None
        pos = 0.0  # seconds of input fed so far (decoded samples plus filled gaps), from first_t
        held = None  # one frame of look-ahead: a timestamp jump is a gap only if the next frame confirms it
        last_report = -1.0
        errors = 0

        def feed(fr) -> None:
            nonlocal pos
            for o in res.resample(fr):
                buf.append(_samples(o))
            pos += fr.samples / fr.sample_rate

        def fill(gap: float) -> None:
            nonlocal res, pos
            for o in res.resample(None):
                buf.append(_samples(o))
            res = new_resampler()
            pos += gap
            buf.zeros(max(0, int(round(pos * sr)) - buf.n))
            log.info(
                "%s: %.3f s gap in the audio timestamps at %.3f s, filled with silence",
                path,
                gap,
                first_t + pos,
            )

        try:
            for packet in c.demux(st):
                try:
                    frames = packet.decode()
                except av.error.FFmpegError as e:  # a damaged packet: skip it; the gap is filled by timestamps
                    errors += 1
                    log.debug("%s: skipping undecodable packet (%s)", path, e)
                    if errors > 50 and buf.n == 0:
                        raise DecodeError(f"{path}: audio stream {k} cannot be decoded ({e})") from e
                    continue
                for fr in frames:
                    if first_t is None:
                        first_t = fr.time if fr.time is not None else 0.0
                    if held is not None:
                        # Some codecs (Vorbis) stamp frames with +-10 ms jitter that cancels out on the next
                        # frame; a real gap shifts every later frame, so both must be late.
                        d_h = 0.0 if held.time is None else held.time - (first_t + pos)
                        d_c = 0.0 if fr.time is None else fr.time - (first_t + pos + held.samples / held.sample_rate)
                        if d_h > _GAP_S and d_c > d_h - _GAP_S:
                            fill(d_h)
                        feed(held)
                    held = fr
                    if progress is not None and pos - last_report >= 5.0:
                        last_report = pos
                        progress(pos, total)
            if held is not None:  # the last frame has no successor to confirm a gap; jitter here is harmless
                d_h = 0.0 if held.time is None else held.time - (first_t + pos)
                if d_h > _GAP_S:
                    fill(d_h)
                feed(held)
            for o in res.resample(None):
                buf.append(_samples(o))
        except av.error.FFmpegError as e:
            if buf.n < sr:
                raise DecodeError(f"{path}: audio stream {k} cannot be decoded ({e})") from e
            log.warning("%s: decoding stopped early at %.1f s (%s); using what was decoded", path, buf.n / sr, e)
        if progress is not None and total is not None:
            progress(total, total)
        if first_t is None:
            raise DecodeError(f"{path}: audio stream {k} holds no decodable audio")
        t0 = first_t - origin if kind != "raw" else 0.0
        return Signal(
            y=buf.result(),
            sr=sr,
            t0=float(t0),
            source=str(path),
            stream_index=st.index,
            native_rate=st.codec_context.sample_rate or None,
            channels=st.codec_context.channels or None,
            codec=st.codec_context.name,
        )
