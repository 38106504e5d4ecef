"""Planning corrected media (``align --apply``, ``syncmm apply``, ``check --fix``): which streams, codec,
rate, span and time map a corrected file gets, checked against what the output container can hold, before
anything is written.  Writing the plan is :mod:`syncmm.media.conform`.
"""

from __future__ import annotations

import functools
import logging
import math
import os
from collections.abc import Callable

import numpy as np

from ..exceptions import NoStreamError, ParameterError
from ..types import ApplyPlan, TimeMap
from ._open import _timeline_kind, open_container, require_decoder, timeline_origin
from .write import DEFAULT_AUDIO_CODEC

log = logging.getLogger(__name__)

#: Output extension -> FFmpeg muxer.
OUT_FORMATS = {
    ".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".m4a": "ipod", ".mkv": "matroska", ".mka": "matroska",
    ".webm": "webm", ".wav": "wav", ".flac": "flac", ".mp3": "mp3", ".ogg": "ogg", ".opus": "opus", ".aac": "adts",
}  # fmt: skip
#: Muxers that store a stream's start time, so copied packets can simply be re-stamped.
_TIMELINE_MUXERS = ("mp4", "mov", "ipod", "matroska", "webm")
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
        origin = timeline_origin(rc)
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
    if o_dur is not None:  # OTHER on REF's timeline
        tm = TimeMap(float(offset_s), float(drift_ppm))
        a, b = tm.ref_time(o_start), tm.ref_time(o_start + o_dur)
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
            codec = DEFAULT_AUDIO_CODEC[os.path.splitext(str(output))[1].lower()]
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
