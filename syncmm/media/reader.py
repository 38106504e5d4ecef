"""Stream one audio stream's samples as FFmpeg decodes them, on the file's own timeline, gaps filled."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Iterator

import numpy as np

from ..exceptions import DecodeError, NoStreamError, ParameterError
from ._open import _timeline_kind, open_container, require_decoder, timeline_origin
from ._samples import AS_IS, Converter, frames_array, trim_frame
from .integrity import Damage, declared_duration

log = logging.getLogger(__name__)

_GAP_S = 0.002  # timestamp jumps larger than this are gaps and are filled with silence
#: Decoded before a ``start`` for the decoder's state only (FFmpeg's MP3 decoder is exact after ~3 frames).
PREROLL_S = 0.5

ProgressFn = Callable[[float, float | None], None]


class AudioReader:
    """Stream one audio stream as float32 chunks on the file's own timeline, gaps filled with silence.

    The first sample's time :attr:`t0` (known once the first chunk is out) follows the timeline rule of
    :func:`load_audio`; chunk samples are consecutive, so sample ``i`` of the stream is at ``t0 + i/rate``.

    Parameters
    ----------
    path : str or PathLike
        Any file FFmpeg reads.
    stream : int, optional
        Audio stream, counting audio streams from 0 (default: the first).
    rate : int, optional
        Output rate in Hz (resampled by FFmpeg); default the stream's own rate.
    mono : bool
        Down-mix to one channel; otherwise keep the stream's channels.
    absolute_index : int, optional
        Select the stream by its index among all streams instead (as stored in reports).
    """

    def __init__(
        self,
        path: str | os.PathLike,
        stream: int | None = None,
        *,
        rate: int | None = None,
        mono: bool = False,
        absolute_index: int | None = None,
    ):
        self.path = path
        self._c = open_container(path).__enter__()
        try:
            c = self._c
            audio = c.streams.audio
            if len(audio) == 0:
                kinds = ", ".join(s.type for s in c.streams) or "nothing"
                raise NoStreamError(f"{path}: has no audio stream (it holds {kinds})")
            if absolute_index is not None:
                st = next((a for a in audio if a.index == absolute_index), None)
                if st is None:
                    raise NoStreamError(f"{path}: stream {absolute_index} is not an audio stream")
            else:
                k = 0 if stream is None else stream
                if not 0 <= k < len(audio):
                    raise NoStreamError(f"{path}: has no audio stream {k} (it has {len(audio)}: 0..{len(audio) - 1})")
                st = audio[k]
        except BaseException:
            self.close()
            raise
        self.stream = st
        try:
            require_decoder(st, path)
        except DecodeError:
            self.close()
            raise
        cc = st.codec_context
        self.native_rate: int | None = cc.sample_rate or None
        self.rate: int = int(rate or cc.sample_rate or 48000)
        if self.rate <= 0 or self.rate > 384000:
            self.close()
            raise ParameterError(f"sample rate {self.rate} Hz is out of range")
        self.native_channels: int | None = cc.channels or None
        self.channels = 1 if mono else max(1, cc.channels or 1)
        self.layout = "mono" if self.channels == 1 else (cc.layout.name if cc.channels else "stereo")
        self.codec: str = cc.name
        self._kind = _timeline_kind(c.format.name)
        self._origin = timeline_origin(c)
        self.total_s: float | None = None
        if st.duration is not None and st.time_base is not None:
            self.total_s = float(st.duration * st.time_base)
        elif c.duration is not None:
            self.total_s = c.duration / 1e6
        self._first_t: float | None = None
        #: what decoding found wrong (filled by :meth:`chunks`)
        self.damage = Damage(declared_s=declared_duration(c.format.name, path, self.total_s))
        #: a gap was filled or the sample format changed (with the damage counters: the stream was not regular)
        self.irregular = False

    @property
    def regular(self) -> bool:
        """Nothing so far was damaged, filled, dropped or shifted: samples are the frames' samples end to end."""
        d = self.damage
        return not (self.irregular or d.errors or d.dropped_frames or d.missing_start_s)

    def _first_frame_time(self) -> float:
        """The time of the stream's first decoded frame (decoded from a second opening of the file)."""
        with AudioReader(self.path, absolute_index=self.stream.index) as r:
            for packet in r._c.demux(r.stream):
                for fr in packet.decode():
                    if fr.time is not None and fr.samples > 0:
                        return fr.time
        raise DecodeError(f"{self.path}: audio stream {self.stream.index} holds no decodable audio")

    def _from_start(self, fr, start: int):
        """The part of a decoded frame from native sample ``start`` on (None: the frame ends before it)."""
        if fr.time is None:
            raise DecodeError(f"{self.path}: a frame without a time; cannot start at sample {start}")
        i = int(round((fr.time - self._first_t) * fr.sample_rate))
        if i + fr.samples <= start:
            return None
        if i > start:
            raise DecodeError(f"{self.path}: no frame holds native sample {start}")
        return trim_frame(fr, start - i) if i < start else fr

    @property
    def t0(self) -> float | None:
        """Time of the first sample on the file's timeline (None before the first chunk)."""
        if self._first_t is None:
            return None
        return self._first_t - self._origin if self._kind != "raw" else 0.0

    def close(self) -> None:
        if self._c is not None:
            self._c.close()
            self._c = None

    def __enter__(self) -> AudioReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def chunks(self, progress: ProgressFn | None = None, start: int | None = None) -> Iterator[np.ndarray]:
        """Yield float32 arrays of shape ``(channels, n)`` until the stream ends.

        Parameters
        ----------
        progress : callable, optional
            ``progress(seconds_done, seconds_total_or_None)``.
        start : int, optional
            Begin at this native sample of a raw stream (:func:`~syncmm.media.split.split_start`): packets
            before it are read but not decoded, except the :data:`PREROLL_S` before it, decoded for the
            decoder's state only.  The chunks are then the whole decode's from output sample
            ``start * rate // native_rate`` on, equal to them after :data:`~syncmm.media.split.WARMUP_S`.

        Raises
        ------
        DecodeError
            Nothing decodable (a stream that breaks after the first second ends early, with a warning);
            with ``start``: no frame found at that sample.
        """
        import av

        path, rate, nch, st = self.path, self.rate, self.channels, self.stream

        conv = Converter(rate, self.layout, nch, block=rate)
        pos = 0.0  # seconds of input fed so far (decoded samples plus filled gaps), from the first frame
        n_out = 0
        held = None  # one frame of look-ahead: a timestamp jump is a gap only if the next frame confirms it
        last_report = -1.0
        want = (self.native_rate, self.native_channels)  # a frame unlike its stream is damage, not audio
        last_dur = 0.02
        lead: float | None = None  # time of the packet being decoded
        first_pkt_t: float | None = None
        sizes: list[int] = []  # recent good packet sizes: constant for CBR codecs
        shift = 0.0  # content lost beyond what the timestamps show (see below), in seconds

        def out(arrays: list[np.ndarray]) -> Iterator[np.ndarray]:
            nonlocal n_out
            for x in arrays:
                n_out += x.shape[1]
                yield x

        pending: list = []  # decoded frames not yet converted: handed on ~0.5 s at a time
        pending_n = 0

        def flush() -> Iterator[np.ndarray]:
            nonlocal pending_n, n_out
            if pending:
                f0 = pending[0]
                scale = AS_IS.get(f0.format.name) if f0.sample_rate == rate and f0.layout.nb_channels == nch else None
                if scale is not None and (nch == 1 or f0.format.is_planar):  # the resampler would only convert
                    x = frames_array(pending, pending_n)
                    x = x.astype(np.float32) * np.float32(scale) if scale != 1 else x
                    pending_n, n_out = 0, n_out + x.shape[1]
                    pending.clear()
                    yield x
                    return
                conv.push(pending)
                pending_n = 0
                pending.clear()
                yield from out(conv.pull())

        def end_stream() -> Iterator[np.ndarray]:
            """The queued frames, then the converter's tail: the next frame starts a new conversion stream."""
            yield from flush()
            yield from out(conv.finish())

        fmt_now: str | None = None  # the sample format of the frames fed last

        def feed(fr) -> Iterator[np.ndarray]:
            nonlocal pos, pending_n, fmt_now
            if fr.format.name != fmt_now:
                if fmt_now is not None:  # one conversion stream takes one sample format
                    self.irregular = True
                    yield from end_stream()
                fmt_now = fr.format.name
            pending.append(fr)
            pending_n += fr.samples
            pos += fr.samples / fr.sample_rate
            if pending_n >= fr.sample_rate // 2:
                yield from flush()

        def fill(gap: float) -> Iterator[np.ndarray]:
            nonlocal pos, n_out
            self.irregular = True
            yield from end_stream()
            pos += gap
            k = max(0, int(round(pos * rate)) - n_out)
            n_out += k
            log.info("%s: %.3f s gap in the audio timestamps at %.3f s, filled with silence", path, gap,
                     self._first_t + pos - shift)  # fmt: skip
            yield np.zeros((nch, k), np.float32)

        # the stream's time base as a float, once: a demuxed packet carries its stream's (Fraction arithmetic per
        # packet cost ~10 % of decoding a 10-min MP3)
        tb = float(st.time_base) if st.time_base else None
        skip_to = None  # with ``start``: packets before this time are not decoded
        if start is not None:
            nr = self.native_rate
            if self._kind != "raw" or not nr or tb is None or start % (nr // math.gcd(nr, rate)):
                raise ParameterError(f"{path}: cannot start decoding at native sample {start}")
            self._first_t = self._first_frame_time()
            pos, n_out = start / nr, start * rate // nr
            skip_to = self._first_t + pos - PREROLL_S
        try:
            for packet in self._c.demux(st):
                lead = packet.pts * tb if packet.pts is not None and tb else None
                if skip_to is not None and packet.size:  # (the demuxer's last, empty packet has no time)
                    if lead is None:
                        raise DecodeError(f"{path}: a packet without a time; cannot start at sample {start}")
                    if lead < skip_to:
                        continue
                if first_pkt_t is None:
                    first_pkt_t = lead
                try:
                    frames = packet.decode()
                except av.error.FFmpegError as e:  # a damaged packet: skip it; the gap is filled by timestamps
                    self.damage.errors += 1
                    dur = packet.duration * packet.time_base if packet.duration and packet.time_base else None
                    self.damage.lost_s += float(dur) if dur else last_dur
                    # A damaged frame header can make the parser glue two CBR frames into one packet stamped as
                    # one: the timestamps then show one frame's gap for two frames of content, and everything
                    # after would be a frame early.  A packet k times the constant size is k frames.
                    if len(sizes) >= 8 and max(sizes) <= 1.05 * min(sizes) and packet.size:
                        k = int(round(packet.size / float(np.median(sizes))))
                        if k > 1:
                            shift += (k - 1) * last_dur
                            self.damage.lost_s += (k - 1) * last_dur
                    log.debug("%s: skipping undecodable packet (%s)", path, e)
                    if self.damage.errors > 50 and n_out == 0:
                        raise DecodeError(f"{path}: audio stream {st.index} cannot be decoded ({e})") from e
                    continue
                if packet.size:
                    sizes.append(packet.size)
                    del sizes[:-32]
                for fr in frames:
                    if fr.sample_rate <= 0 or fr.samples <= 0:
                        continue
                    last_dur = fr.samples / fr.sample_rate
                    got = (fr.sample_rate, fr.layout.nb_channels)
                    if want[0] is None or want[1] is None:
                        want = got
                    elif got != want:  # a damaged header decoded as another rate/layout: drop the frame
                        self.damage.dropped_frames += 1
                        self.damage.lost_s += last_dur
                        continue
                    if start is not None:  # frames before ``start`` only prime the decoder
                        fr = self._from_start(fr, start)
                        if fr is None:
                            continue
                        start = None
                    if self._first_t is None:
                        self._first_t = fr.time if fr.time is not None else 0.0
                        # A raw stream starts at 0.  Its start was lost when the first packet comes later (a
                        # damaged first frame header), or when packets before this frame's failed: anchor at 0
                        # (keeping the decoder's own start trim, frame time - packet time), so that the gap is
                        # filled with silence.  (Without errors, a decoder delay may hold back the first frame.)
                        lost = lead if self.damage.errors else first_pkt_t
                        if self._kind == "raw" and lost is not None and lost > _GAP_S:
                            self._first_t -= lost
                            self.damage.lost_s = lost  # replaces the estimates of the packets that failed
                            self.damage.missing_start_s = lost
                    first_t = self._first_t
                    if held is not None:
                        # Some codecs (Vorbis) stamp frames with +-10 ms jitter that cancels out on the next
                        # frame; a real gap shifts every later frame, so both must be late.
                        d_h = 0.0 if held.time is None else held.time - (first_t + pos - shift)
                        d_c = (
                            0.0
                            if fr.time is None
                            else fr.time - (first_t + pos - shift + held.samples / held.sample_rate)
                        )
                        if d_h > _GAP_S and d_c > d_h - _GAP_S:
                            yield from fill(d_h)
                        yield from feed(held)
                    held = fr
                    if progress is not None and pos - last_report >= 5.0:
                        last_report = pos
                        progress(pos, self.total_s)
            if held is not None:  # the last frame has no successor to confirm a gap; jitter here is harmless
                d_h = 0.0 if held.time is None else held.time - (self._first_t + pos - shift)
                if d_h > _GAP_S:
                    yield from fill(d_h)
                yield from feed(held)
            yield from end_stream()
        except av.error.FFmpegError as e:
            try:  # what the converter holds of the audio decoded so far (up to a block)
                yield from out(conv.finish())
            except av.error.FFmpegError:
                pass
            if n_out < rate:
                raise DecodeError(f"{path}: audio stream {st.index} cannot be decoded ({e})") from e
            self.irregular = True
            log.warning("%s: decoding stopped early at %.1f s (%s); using what was decoded", path, n_out / rate, e)
        self.end(n_out, progress)

    def end(self, n_out: int, progress: ProgressFn | None = None) -> None:
        """The stream ended after ``n_out`` output samples: check it gave audio, record its length (truncation).

        Called by :meth:`chunks` at the stream's end, and by whoever ends the stream otherwise (a stream whose
        tail was decoded elsewhere: :func:`~syncmm.media.split.join_tail`).
        """
        if progress is not None and self.total_s is not None:
            progress(self.total_s, self.total_s)
        if self._first_t is None:
            raise DecodeError(f"{self.path}: audio stream {self.stream.index} holds no decodable audio")
        self.damage.finish(decoded_s=n_out / self.rate, t0=self.t0 or 0.0)
