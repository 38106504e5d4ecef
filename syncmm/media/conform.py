"""Corrected media: OTHER's audio placed on REF's timeline (shifted, padded/trimmed, drift-resampled).

Two modes:

``video``
    OUT = REF's video stream copied packet for packet (no re-encode) + OTHER's audio re-timed onto REF's
    timeline and encoded (AAC by default), optionally followed by REF's own audio streams (copied).
``shift``
    OUT = OTHER's audio alone, re-timed onto REF's timeline.  Packets are copied untouched when no
    resampling is needed and the output container stores start times (MP4/MOV/Matroska); otherwise
    the audio is decoded, placed and encoded (losslessly for PCM/FLAC/ALAC sources by default).

The time map is the drift model of the report: ``t_OTHER = (t_REF - offset_s) * (1 + drift_ppm * 1e-6)``.
OUT's audio sample ``k`` is at REF time ``start_s + k / rate`` and takes OTHER's band-limited value at
that map.  Without drift the shift is rounded to whole samples (at most half a sample, 10 us at 48 kHz)
so that the samples themselves are kept bit-exact.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator

import numpy as np

from .._proc import raise_if_interrupted
from ..exceptions import OutputError
from ..types import ApplyPlan, ApplyStats
from ._open import open_container, timeline_origin
from .apply_plan import _BLOCK_S, _HALF, ProgressFn
from .reader import AudioReader
from .write import AudioEncoder

log = logging.getLogger(__name__)


class _Window:
    """Sliding access to a stream of ``(channels, n)`` chunks by absolute sample index (zeros outside)."""

    def __init__(self, chunks: Iterator[np.ndarray], channels: int):
        self._it = chunks
        self._buf = np.zeros((channels, 0), np.float32)
        self._base = 0
        self._done = False
        self.nch = channels

    def first(self) -> None:
        """Pull the first chunk (the reader's ``t0`` is known afterwards)."""
        self._pull(1)

    def _pull(self, until: int) -> None:
        parts = []
        have = self._base + self._buf.shape[1]
        while not self._done and have < until:
            try:
                x = next(self._it)
            except StopIteration:
                self._done = True
                break
            parts.append(x)
            have += x.shape[1]
        if parts:
            self._buf = np.concatenate([self._buf, *parts], axis=1)

    def get(self, a: int, b: int) -> np.ndarray:
        self._pull(b)
        out = np.zeros((self.nch, b - a), np.float32)
        lo, hi = max(a, self._base), min(b, self._base + self._buf.shape[1])
        if hi > lo:
            out[:, lo - a : hi - a] = self._buf[:, lo - self._base : hi - self._base]
        return out

    def drop_before(self, a: int) -> None:
        k = min(max(0, a - self._base), self._buf.shape[1])
        if k:
            self._buf = self._buf[:, k:]
            self._base += k


def placed_audio(plan: ApplyPlan, reader: AudioReader) -> Iterator[np.ndarray]:
    """Yield OTHER's audio on REF's timeline, ``(channels, n)`` float32 blocks from ``plan.start_s`` to ``end_s``."""
    from ..dsp.resample import resample_at

    win = _Window(reader.chunks(), reader.channels)
    win.first()
    t0o = reader.t0 or 0.0
    ro = reader.rate
    n_total = int(round((plan.end_s - plan.start_s) * plan.rate))
    block = int(_BLOCK_S * plan.rate)
    tm = plan.time_map
    shift = int(round((plan.start_s - plan.offset_s - t0o) * ro))  # input index of output sample 0 (no resampling)
    cutoff = 0.97 * min(1.0, plan.rate / ro)
    for a in range(0, n_total, block):
        k = np.arange(a, min(a + block, n_total), dtype=np.float64)
        if plan.resample:
            p = (tm.other_time(plan.start_s + k / plan.rate) - t0o) * ro
            lo = int(math.floor(p[0])) - _HALF - 1
            hi = int(math.ceil(p[-1])) + _HALF + 2
            seg = win.get(lo, hi)
            y = resample_at(seg if seg.shape[0] > 1 else seg[0], p - lo, half=_HALF, cutoff=cutoff)
            yield np.atleast_2d(y)
            win.drop_before(lo)
        else:
            lo = a + shift
            yield win.get(lo, lo + len(k))
            win.drop_before(lo + len(k))


def _encoder(out, plan: ApplyPlan, start_s: float) -> AudioEncoder:
    """The plan's audio encoder: lossy codecs at 96 kbit/s per channel (at most 320), 24-bit sources kept."""
    lossy = plan.audio_codec in ("aac", "libopus", "libmp3lame")
    bit_rate = min(96000 * plan.channels, 320000) if lossy else None
    return AudioEncoder(out, plan.audio_codec, plan.rate, plan.channels, start_s, bit_rate=bit_rate, deep=True)


def conform(plan: ApplyPlan, dest: str | os.PathLike, progress: ProgressFn | None = None) -> ApplyStats:
    """Write the corrected file of ``plan`` to ``dest`` (the caller renames it into place).

    Raises
    ------
    InputError, DecodeError
        An input cannot be decoded.
    OutputError
        The muxer or encoder fails (disk full, a codec that refuses these parameters...).
    """
    import av

    try:
        if plan.audio_codec == "copy":
            return _copy_shift(plan, dest, progress)
        return _encode(plan, dest, progress)
    except av.error.FFmpegError as e:
        raise OutputError(f"{plan.output}: cannot write ({getattr(e, 'strerror', None) or e})") from e


def _mux_options(plan: ApplyPlan) -> dict[str, str]:
    # MP4/MOV edit lists are in the movie timescale (1000 by default: 0.3 ms steps for AAC priming); use the
    # audio rate so the audio's start is exact to the sample.
    if plan.out_format in ("mp4", "mov", "ipod"):
        return {"movie_timescale": str(plan.rate)}
    # Matroska stores negative times; by default FFmpeg would instead shift every stream by a copied AAC
    # track's priming (21 ms), moving the whole file off REF's timeline.
    if plan.out_format in ("matroska", "webm"):
        return {"avoid_negative_ts": "disabled"}
    return {}


def _encode(plan: ApplyPlan, dest: str | os.PathLike, progress: ProgressFn | None) -> ApplyStats:
    import av

    total = plan.end_s - plan.start_s
    with (
        AudioReader(plan.other, absolute_index=plan.other_stream) as reader,
        av.open(str(dest), "w", format=plan.out_format, options=_mux_options(plan)) as out,
    ):
        rc = open_container(plan.ref) if plan.mode == "video" else None
        try:
            vout = kept = None
            ins: list = []
            if rc is not None:
                vin = next(s for s in rc.streams if s.index == plan.video_stream)
                vout = out.add_stream_from_template(vin)
                ins = [vin]
            origin = timeline_origin(rc) if rc is not None else 0.0  # copied packets keep REF's clock
            enc = _encoder(out, plan, plan.start_s + origin)
            if rc is not None and plan.keep_streams:
                kin = [s for s in rc.streams if s.index in plan.keep_streams]
                kept = {s.index: out.add_stream_from_template(s) for s in kin}
                ins += kin
            audio = placed_audio(plan, reader)
            nvid = 0
            last = -1.0

            def audio_until(t: float) -> None:
                nonlocal last
                while enc.written_s - origin < t:
                    y = next(audio, None)
                    if y is None:
                        return
                    enc.write(y)
                    done = enc.written_s - origin - plan.start_s
                    if progress is not None and done - last >= 5.0:
                        last = done
                        progress(done, total)

            if rc is not None:
                for pkt in rc.demux(*ins):
                    raise_if_interrupted()
                    if pkt.dts is None and pkt.pts is None:
                        continue  # demuxer flush packet
                    t = float((pkt.dts if pkt.dts is not None else pkt.pts) * pkt.time_base) - origin
                    audio_until(t + 1.0)  # keep the streams interleaved: bounded muxer queue
                    if pkt.stream.index == plan.video_stream:
                        pkt.stream = vout
                        nvid += 1
                    else:
                        pkt.stream = kept[pkt.stream.index]
                    out.mux(pkt)
            audio_until(math.inf)
            enc.close()
            if progress is not None:
                progress(total, total)
            return ApplyStats(
                video_packets=nvid, copied_audio_packets=0, audio_samples=enc.n, other_t0=reader.t0 or 0.0,
                first_audio_s=plan.start_s,
            )  # fmt: skip
        finally:
            if rc is not None:
                rc.close()


def _copy_shift(plan: ApplyPlan, dest: str | os.PathLike, progress: ProgressFn | None) -> ApplyStats:
    """Re-stamp OTHER's packets by ``offset_s``; drop those outside REF's span (packet granularity)."""
    import av

    with (
        open_container(plan.other) as oc,
        av.open(str(dest), "w", format=plan.out_format, options=_mux_options(plan)) as out,
    ):
        ist = next(s for s in oc.streams if s.index == plan.other_stream)
        ost = out.add_stream_from_template(ist)
        tb = ist.time_base
        shift = int(round(plan.offset_s / tb))
        n = 0
        first = None
        last = -1.0
        total = plan.end_s - plan.start_s
        for pkt in oc.demux(ist):
            raise_if_interrupted()
            if pkt.pts is None:
                continue
            t = float((pkt.pts + shift) * tb)
            dur = float((pkt.duration or 0) * tb)
            if t < plan.start_s - 1e-9 or t >= plan.end_s:
                continue  # before REF's start (a straddling packet is dropped too: copies are packet-granular)
            pkt.pts += shift
            if pkt.dts is not None:
                pkt.dts += shift
            pkt.stream = ost
            out.mux(pkt)
            n += 1
            if first is None:
                first = t
            if progress is not None and t - last >= 5.0:
                last = t
                progress(t - plan.start_s + dur, total)
        if n == 0:
            raise OutputError(f"{plan.output}: OTHER does not overlap REF's timeline; nothing to write")
        return ApplyStats(video_packets=0, copied_audio_packets=n, audio_samples=0, other_t0=0.0, first_audio_s=first)
