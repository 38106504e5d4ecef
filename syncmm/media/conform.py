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

import fractions
import functools
import logging
import math
import os
import shlex
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..exceptions import NoStreamError, OutputError, ParameterError
from ._open import open_container, require_decoder
from .audio import AudioReader, _timeline_kind
from .write import UNSIGNALLED_PRIMING

log = logging.getLogger(__name__)

#: Output extension -> FFmpeg muxer.
OUT_FORMATS = {
    ".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".m4a": "ipod", ".mkv": "matroska", ".mka": "matroska",
    ".webm": "webm", ".wav": "wav", ".flac": "flac", ".mp3": "mp3", ".ogg": "ogg", ".opus": "opus", ".aac": "adts",
}  # fmt: skip
#: Muxers that store a stream's start time, so copied packets can simply be re-stamped.
_TIMELINE_MUXERS = ("mp4", "mov", "ipod", "matroska", "webm")
_DEFAULT_CODEC = {
    "mp4": "aac", "mov": "aac", "ipod": "aac", "matroska": "aac", "webm": "libopus", "wav": "pcm_s16le",
    "flac": "flac", "mp3": "libmp3lame", "ogg": "libopus", "opus": "libopus", "adts": "aac",
}  # fmt: skip
#: ``--audio-codec`` names users type -> FFmpeg encoders.
CODEC_ALIASES = {
    "aac": "aac", "pcm": "pcm_s16le", "pcm16": "pcm_s16le", "pcm24": "pcm_s24le", "pcm_s16le": "pcm_s16le",
    "pcm_s24le": "pcm_s24le", "flac": "flac", "alac": "alac", "opus": "libopus", "libopus": "libopus",
    "mp3": "libmp3lame", "libmp3lame": "libmp3lame", "copy": "copy",
}  # fmt: skip
_LOSSLESS = ("pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "flac", "alac")
_BLOCK_S = 4.0  # audio produced per step
_HALF = 24  # taps each side of the resampling kernel
#: Below this many samples of accumulated drift over the whole output, drift is not worth a resampling.
_DRIFT_SAMPLES = 0.25

ProgressFn = Callable[[float, float | None], None]


@dataclass(frozen=True)
class ApplyPlan:
    """What ``apply`` will write, decided before anything is written (``--dry-run`` prints it)."""

    ref: str
    other: str
    output: str
    mode: str  # "video" or "shift"
    offset_s: float
    drift_ppm: float
    other_stream: int  # absolute stream index in OTHER
    ref_stream: int | None  # REF's audio stream (absolute) the alignment used; --verify compares with it
    video_stream: int | None  # REF's video stream copied (video mode)
    keep_streams: tuple[int, ...]  # REF's audio streams copied after the new audio (--keep-original-audio)
    start_s: float  # OUT's timeline: REF's start ...
    end_s: float  # ... and end
    out_format: str
    audio_codec: str  # FFmpeg encoder, or "copy"
    rate: int
    channels: int
    resample: bool

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["keep_streams"] = list(self.keep_streams)
        return d


@dataclass(frozen=True)
class ApplyStats:
    """What was written."""

    video_packets: int
    copied_audio_packets: int
    audio_samples: int
    other_t0: float
    first_audio_s: float | None  # REF time of OUT's first audio sample (copy: of its first packet)


def _container_format(output: str) -> str:
    ext = os.path.splitext(output)[1].lower()
    fmt = OUT_FORMATS.get(ext)
    if fmt is None:
        raise ParameterError(
            f"{output}: unsupported output extension {ext or '(none)'}; use one of {', '.join(OUT_FORMATS)}"
        )
    return fmt


def _supported(fmt: str) -> set[str]:
    import io

    import av

    with av.open(io.BytesIO(), "w", format=fmt) as c:
        return set(c.supported_codecs)


@functools.lru_cache(maxsize=64)
def can_mux(fmt: str, codec: str) -> bool:
    """Whether FFmpeg really writes ``codec`` audio into the ``fmt`` container: a few silent frames are encoded
    and muxed into memory.  (The muxer's own list says yes to FLAC in MOV, which then fails to write, and no to
    Opus in Ogg, which works.)"""
    import io

    import av

    try:
        with av.open(io.BytesIO(), "w", format=fmt) as o:
            s = o.add_stream(codec, rate=48000)
            s.layout = "mono"
            fmts = s.codec_context.codec.audio_formats
            res = av.AudioResampler(format=fmts[0].name if fmts else "fltp", layout="mono", rate=48000,
                                    frame_size=s.codec_context.frame_size or None)  # fmt: skip
            fr = av.AudioFrame.from_ndarray(np.zeros((1, 2048), np.float32), format="fltp", layout="mono")
            fr.sample_rate, fr.pts = 48000, 0
            for x in res.resample(fr):
                for p in s.encode(x):
                    o.mux(p)
            for p in s.encode(None):
                o.mux(p)
        return True
    except (av.error.FFmpegError, ValueError, TypeError):
        return False


def _pick_rate(codec: str, native: int) -> int:
    import av

    rates = av.Codec(codec, "w").audio_rates
    if not rates or native in rates:
        return native
    higher = sorted(r for r in rates if r >= native)
    return higher[0] if higher else max(rates)


def plan_apply(
    ref: str | os.PathLike,
    other: str | os.PathLike,
    output: str | os.PathLike,
    *,
    offset_s: float,
    drift_ppm: float = 0.0,
    ref_stream: int | None = None,
    other_stream: int | None = None,
    mode: str = "auto",
    audio_codec: str | None = None,
    keep_original_audio: bool = False,
) -> ApplyPlan:
    """Decide how to write the corrected file.

    Parameters
    ----------
    ref, other : str or PathLike
        The aligned pair (REF's timeline is kept).
    output : str or PathLike
        The corrected file; its extension chooses the container.
    offset_s, drift_ppm : float
        The time map, as in the report: ``t_OTHER = (t_REF - offset_s) * (1 + drift_ppm * 1e-6)``.
    ref_stream, other_stream : int, optional
        Absolute stream indices (as in reports) of REF's and OTHER's audio; default the first audio stream.
        In ``video`` mode the default codec is AAC (or Opus for WebM); in ``shift`` mode a lossless source
        stays in its codec.
    mode : {"auto", "video", "shift"}
        ``auto``: ``video`` when REF has a video stream, else ``shift``.
    audio_codec : str, optional
        An encoder or alias (:data:`CODEC_ALIASES`), or ``"copy"``; default: copy when possible in
        ``shift`` mode, else the source codec when lossless, else the container's usual codec (AAC).
    keep_original_audio : bool
        Video mode: also copy REF's audio streams (after the new audio).

    Returns
    -------
    ApplyPlan

    Raises
    ------
    ParameterError
        Unsupported extension, a codec the container cannot hold, copying where resampling is needed.
    InputError, NoStreamError
        An input cannot be read or lacks the stream.
    """
    if mode not in ("auto", "video", "shift"):
        raise ParameterError(f"mode must be auto, video or shift, not {mode!r}")
    if not math.isfinite(offset_s) or not math.isfinite(drift_ppm) or abs(drift_ppm) > 10000:
        raise ParameterError(f"time map out of range: offset {offset_s} s, drift {drift_ppm} ppm")
    output = str(output)
    fmt = _container_format(output)
    with open_container(ref) as rc:
        video = [s for s in rc.streams.video if not (s.disposition & 1024)]  # skip attached pictures
        raudio = list(rc.streams.audio)
        if mode == "auto":
            mode = "video" if video else "shift"
        if mode == "video" and not video:
            raise NoStreamError(f"{ref}: has no video stream to copy (use --mode shift for audio)")
        if ref_stream is None and raudio:
            ref_stream = raudio[0].index
        if ref_stream is not None and ref_stream not in [s.index for s in raudio]:
            raise NoStreamError(f"{ref}: stream {ref_stream} is not an audio stream")
        origin = rc.start_time / 1e6 if (_timeline_kind(rc.format.name) == "clock" and rc.start_time) else 0.0
        if mode == "video":
            span = video[0]
        else:
            span = next((s for s in raudio if s.index == ref_stream), None)
            if span is None:
                raise NoStreamError(f"{ref}: has no audio stream to take the timeline from")
        if _timeline_kind(rc.format.name) == "raw":
            start = 0.0
        else:
            start = float(span.start_time * span.time_base) - origin if span.start_time is not None else 0.0
        if span.duration is not None:
            dur = float(span.duration * span.time_base)
        elif rc.duration is not None:
            dur = rc.duration / 1e6 - max(0.0, start)
        else:
            raise ParameterError(f"{ref}: duration unknown; cannot place the audio on its timeline")
        video_index = video[0].index if mode == "video" else None
        keep = tuple(s.index for s in raudio) if (keep_original_audio and mode == "video") else ()
        for s in [*([video[0]] if video_index is not None else []), *(raudio if keep else [])]:
            require_decoder(s, ref)
        keep_codecs = [s.codec_context.name for s in raudio] if keep else []
        vcodec = video[0].codec_context.name if video_index is not None else None
    with open_container(other) as oc:
        oaudio = list(oc.streams.audio)
        if not oaudio:
            raise NoStreamError(f"{other}: has no audio stream")
        ost = oaudio[0] if other_stream is None else next((s for s in oaudio if s.index == other_stream), None)
        if ost is None:
            raise NoStreamError(f"{other}: stream {other_stream} is not an audio stream")
        require_decoder(ost, other)
        o_index = ost.index
        o_rate = ost.codec_context.sample_rate
        o_ch = ost.codec_context.channels or 1
        o_codec = ost.codec_context.name
        o_kind = _timeline_kind(oc.format.name)
        o_dur = float(ost.duration * ost.time_base) if ost.duration is not None else None
        if o_dur is None and oc.duration:
            o_dur = oc.duration / 1e6
        o_start = float(ost.start_time * ost.time_base) if (o_kind == "timeline" and ost.start_time) else 0.0
    if o_dur is not None:  # OTHER on REF's timeline: t_REF = offset + t_OTHER / (1 + drift)
        a = offset_s + o_start / (1 + drift_ppm * 1e-6)
        b = offset_s + (o_start + o_dur) / (1 + drift_ppm * 1e-6)
        if b <= start or a >= start + dur:
            raise ParameterError(
                f"the time map puts OTHER at REF {a:.3f}-{b:.3f} s, outside REF's {start:.3f}-{start + dur:.3f} s: "
                "nothing of OTHER would be in the output (is the report for these files?)"
            )
    if keep_original_audio and mode != "video":
        raise ParameterError("--keep-original-audio needs video mode (REF's video with OTHER's audio)")

    supported = _supported(fmt)
    for c in keep_codecs:
        if c not in supported:
            raise ParameterError(f"{output}: the {fmt} container cannot hold REF's {c} audio (--keep-original-audio)")
    if mode == "video":
        if vcodec not in supported:
            raise ParameterError(f"{output}: the {fmt} container cannot hold REF's {vcodec} video; use .mkv or .mov")
    d = drift_ppm * 1e-6
    needs_drift = abs(d) * dur * o_rate >= _DRIFT_SAMPLES
    codec = CODEC_ALIASES.get(audio_codec.lower(), audio_codec) if audio_codec else None
    copy_ok = (
        mode == "shift" and not needs_drift and fmt in _TIMELINE_MUXERS and o_codec in supported
        and (o_kind == "timeline" or o_codec.startswith("pcm_"))
    )  # fmt: skip
    if codec == "copy":
        if not copy_ok:
            why = (
                "the clocks drift, so the audio must be resampled" if needs_drift
                else "copying needs --mode shift, an .mp4/.m4a/.mov/.mkv/.mka output that can hold "
                f"{o_codec}, and a source with timestamps"
            )  # fmt: skip
            raise ParameterError(f"--audio-codec copy is not possible: {why}")
    elif codec is None:
        if copy_ok:
            codec = "copy"
        elif fmt == "wav":  # a .wav holds PCM, whatever FFmpeg would put in it
            codec = "pcm_s24le" if o_codec in ("pcm_s24le", "pcm_s32le", "flac", "alac") else "pcm_s16le"
        elif mode == "shift" and o_codec in _LOSSLESS and can_mux(fmt, o_codec):
            codec = o_codec
        else:
            codec = _DEFAULT_CODEC[fmt]
    if codec != "copy":
        import av

        try:
            enc = av.Codec(codec, "w")
        except Exception as e:
            raise ParameterError(f"unknown audio encoder {codec!r}; use one of {', '.join(CODEC_ALIASES)}") from e
        if enc.type != "audio":
            raise ParameterError(f"{codec!r} is not an audio encoder")
        if not can_mux(fmt, enc.name):
            ok = [a for a in ("aac", "opus", "mp3", "flac", "alac", "pcm", "pcm24") if can_mux(fmt, CODEC_ALIASES[a])]
            raise ParameterError(f"{output}: the {fmt} container cannot hold {enc.canonical_name} audio; "
                                 f"use --audio-codec {' or '.join(ok) or 'with another container'}")  # fmt: skip
        rate = _pick_rate(codec, o_rate)
        if enc.canonical_name in ("mp3",) and o_ch > 2:
            o_ch = 2
    else:
        rate = o_rate
    return ApplyPlan(
        ref=str(ref), other=str(other), output=output, mode=mode, offset_s=float(offset_s), drift_ppm=float(drift_ppm),
        other_stream=o_index, ref_stream=ref_stream, video_stream=video_index, keep_streams=keep,
        start_s=start, end_s=start + dur, out_format=fmt, audio_codec=codec, rate=rate, channels=o_ch,
        resample=codec != "copy" and (needs_drift or rate != o_rate),
    )  # fmt: skip


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
    d = plan.drift_ppm * 1e-6
    shift = int(round((plan.start_s - plan.offset_s - t0o) * ro))  # input index of output sample 0 (no resampling)
    cutoff = 0.97 * min(1.0, plan.rate / ro)
    for a in range(0, n_total, block):
        k = np.arange(a, min(a + block, n_total), dtype=np.float64)
        if plan.resample:
            p = ((plan.start_s + k / plan.rate - plan.offset_s) * (1 + d) - t0o) * ro
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


class _Encoder:
    """Encode float ``(channels, n)`` blocks into a new audio stream, first sample at ``start_s``."""

    def __init__(self, out, codec: str, rate: int, channels: int, start_s: float, out_format: str = ""):
        import av

        self.skip = UNSIGNALLED_PRIMING.get((out_format, codec), 0)  # samples the container cannot mark as priming
        self.layout = "mono" if channels == 1 else "stereo" if channels == 2 else av.AudioLayout(channels).name
        self.s = out.add_stream(codec, rate=rate)
        self.s.layout = self.layout
        if codec in ("aac", "libopus", "libmp3lame"):
            self.s.bit_rate = min(96000 * channels, 320000)
        fmts = [f.name for f in (self.s.codec_context.codec.audio_formats or [])]
        fmt = fmts[0] if fmts else "fltp"
        if codec == "flac" or codec.startswith("pcm_s24") or codec == "alac":
            fmt = next((f for f in fmts if f.startswith("s32")), fmt)  # keep 24-bit sources 24-bit
        self.out = out
        self.rate = rate
        self.pts0 = int(round(start_s * rate))
        self.n = 0
        self.tb = fractions.Fraction(1, rate)
        self.res = av.AudioResampler(
            format=fmt, layout=self.layout, rate=rate, frame_size=self.s.codec_context.frame_size or None
        )

    @property
    def written_s(self) -> float:
        return (self.pts0 + self.n) / self.rate

    def write(self, y: np.ndarray) -> None:
        import av

        if self.skip:
            cut = min(self.skip, y.shape[1])
            self.skip -= cut
            self.n += cut
            y = y[:, cut:]
        if y.shape[1] == 0:
            return
        fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(y, np.float32), format="fltp", layout=self.layout)
        fr.sample_rate = self.rate
        fr.time_base = self.tb
        fr.pts = self.pts0 + self.n
        self.n += y.shape[1]
        for o in self.res.resample(fr):
            for p in self.s.encode(o):
                self.out.mux(p)

    def close(self) -> None:
        for o in self.res.resample(None):
            for p in self.s.encode(o):
                self.out.mux(p)
        for p in self.s.encode(None):
            self.out.mux(p)


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
            origin = 0.0
            if rc is not None and _timeline_kind(rc.format.name) == "clock" and rc.start_time:
                origin = rc.start_time / 1e6  # copied packets keep REF's clock; the audio follows it
            enc = _Encoder(out, plan.audio_codec, plan.rate, plan.channels, plan.start_s + origin, plan.out_format)
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


def ffmpeg_equivalent(plan: ApplyPlan, other_t0: float = 0.0) -> list[str]:
    """The ffmpeg command that does what ``plan`` does (``--dry-run``).

    ffmpeg has no drift resampler that takes a ratio, so drift is expressed with ``atempo`` (a time
    stretch that keeps the pitch; syncmm resamples, which shifts the pitch by ``drift_ppm`` -- 0.35 cent at
    200 ppm).  The audio filters pad and trim to REF's span exactly as syncmm does.
    """
    d = plan.drift_ppm * 1e-6
    k = plan.other_stream
    if plan.audio_codec == "copy":
        return [
            "ffmpeg", "-itsoffset", f"{plan.offset_s:.6f}", "-i", plan.other, "-map", f"0:{k}", "-c", "copy",
            plan.output,
        ]  # fmt: skip
    lead = plan.offset_s + other_t0 / (1 + d) - plan.start_s  # where OTHER's first sample lands in OUT
    chain = []
    if plan.resample and abs(d) > 0:
        chain.append(f"atempo={1 + d:.9f}")
    if lead >= 0:
        chain.append(f"adelay=delays={lead * 1e3:.3f}:all=1")
    else:
        chain.append(f"atrim=start={-lead:.6f},asetpts=PTS-STARTPTS")
    dur = plan.end_s - plan.start_s
    chain += [f"aresample={plan.rate}", f"apad=whole_dur={dur:.6f}", f"atrim=duration={dur:.6f}"]
    inputs = ["-i", plan.ref, "-i", plan.other] if plan.mode == "video" else ["-i", plan.other]
    src = 1 if plan.mode == "video" else 0
    argv = ["ffmpeg", *inputs, "-filter_complex", f"[{src}:{k}]{','.join(chain)}[a]"]
    if plan.mode == "video":
        argv += ["-map", f"0:{plan.video_stream}", "-map", "[a]"]
        for s in plan.keep_streams:
            argv += ["-map", f"0:{s}"]
        argv += ["-c:v", "copy", "-c:a:0", plan.audio_codec]
        for i in range(len(plan.keep_streams)):
            argv += [f"-c:a:{i + 1}", "copy"]
    else:
        argv += ["-map", "[a]", "-c:a", plan.audio_codec]
    argv += ["-ac", str(plan.channels), plan.output]
    return argv


def ffmpeg_command(plan: ApplyPlan, other_t0: float = 0.0) -> str:
    """:func:`ffmpeg_equivalent` as one shell-quoted line."""
    return shlex.join(ffmpeg_equivalent(plan, other_t0))
