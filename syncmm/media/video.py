"""Decode a video stream to small grey frames, each with its own timestamp (variable frame rate safe).

An FFmpeg filter graph (optional ``crop``, ``scale`` to the analysis width, ``format=gray``) runs inside PyAV,
so full-resolution frames never reach Python; frames are yielded one at a time (bounded memory).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..exceptions import DecodeError, NoStreamError, ParameterError
from ._open import open_container, require_decoder, timeline_origin

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VideoInfo:
    """The stream being read: index, native size, nominal frame rate (rational string), start time."""

    stream_index: int
    width: int
    height: int
    frame_rate: str | None


class VideoReader:
    """Iterate over ``(time_s, grey uint8 array (h, w))`` of one video stream.

    Times follow the audio timeline rule (:func:`syncmm.media.load_audio`): MP4/MOV/Matroska... keep the
    stream's timestamps, MPEG-TS/PS are relative to the container's start.

    Parameters
    ----------
    path : str or PathLike
        Any file FFmpeg reads.
    width : int
        Analysis width in pixels (height keeps the aspect ratio, even).
    crop : (x, y, w, h), optional
        A region of the native frame to keep before scaling.
    stream : int, optional
        Video stream, counting video streams from 0.
    pix_fmt : {"gray", "rgb24"}
        Grey (motion) or colour (faces) frames.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        width: int = 160,
        crop: tuple[int, int, int, int] | None = None,
        stream: int | None = None,
        pix_fmt: str = "gray",
    ):
        if not 8 <= width <= 4096:
            raise ParameterError(f"analysis width {width} must be 8..4096 pixels")
        self.path = path
        self._c = open_container(path)
        try:
            video = [s for s in self._c.streams.video if not (s.disposition & 1024)]  # not cover art
            if not video:
                kinds = ", ".join(s.type for s in self._c.streams) or "nothing"
                raise NoStreamError(f"{path}: has no video stream (it holds {kinds})")
            k = 0 if stream is None else stream
            if not 0 <= k < len(video):
                raise NoStreamError(f"{path}: has no video stream {k} (it has {len(video)})")
            self.stream = video[k]
            require_decoder(self.stream, path)
            cc = self.stream.codec_context
            if crop is not None:
                x, y, w, h = crop
                if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > cc.width or y + h > cc.height:
                    raise ParameterError(f"crop {crop} is outside the {cc.width}x{cc.height} frame")
        except BaseException:
            self._c.close()
            raise
        if pix_fmt not in ("gray", "rgb24"):
            self._c.close()
            raise ParameterError("pix_fmt must be gray or rgb24")
        self.pix_fmt = pix_fmt
        self.crop = crop
        self.width = width
        self._origin = timeline_origin(self._c)
        rate = self.stream.guessed_rate or self.stream.average_rate
        self.info = VideoInfo(self.stream.index, cc.width, cc.height, str(rate) if rate else None)
        #: filled while :meth:`frames` runs: times of keyframes, and packets or frames that were damaged
        self.key_times: list[float] = []
        self.errors = 0

    def close(self) -> None:
        self._c.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _graph(self, frame):
        """The filter graph for frames like ``frame`` (remade when a frame's size or format changes)."""
        import av

        g = av.filter.Graph()
        nodes = [g.add_buffer(width=frame.width, height=frame.height, format=frame.format,
                              time_base=frame.time_base or self.stream.time_base)]  # fmt: skip
        if self.crop is not None:
            x, y, w, h = self.crop
            nodes.append(g.add("crop", f"{w}:{h}:{x}:{y}"))
        nodes.append(g.add("scale", f"{self.width}:-2"))
        nodes.append(g.add("format", self.pix_fmt))
        nodes.append(g.add("buffersink"))
        for a, b in zip(nodes, nodes[1:], strict=False):
            a.link_to(b)
        g.configure()
        return g

    def frames(self) -> Iterator[tuple[float, np.ndarray]]:
        """Yield ``(time_s, frame)``; frames without a timestamp are skipped."""
        import av

        self.stream.thread_type = "AUTO"
        threads = os.environ.get("SYNCMM_DECODE_THREADS")  # batch workers set 1: the pool is the parallelism
        if threads and threads.isdigit():
            self.stream.codec_context.thread_count = int(threads)
        g = None  # made from the first frame: a damaged stream header may not say the format
        shape = None
        n = 0
        last_error: Exception | None = None

        def decoded():
            nonlocal last_error
            for packet in self._c.demux(self.stream):
                try:
                    yield from packet.decode()
                except av.error.FFmpegError as e:  # a damaged packet: skip it, keep decoding
                    self.errors += 1
                    last_error = e
                    if self.errors > 200 and n == 0:
                        return

        try:
            for fr in decoded():
                if fr.pts is None or not fr.width or not fr.height or fr.format is None:
                    continue
                t = float(fr.pts * fr.time_base) - self._origin
                geom = (fr.width, fr.height, fr.format.name)
                if shape is None:
                    g, shape = self._graph(fr), geom
                elif geom != shape:  # mid-stream change: a graph for the new geometry
                    self.errors += 1
                    g, shape = self._graph(fr), geom
                if fr.key_frame:
                    self.key_times.append(t)
                try:
                    g.push(fr)
                except (av.error.FFmpegError, ValueError) as e:
                    self.errors += 1
                    last_error = e
                    continue
                while True:
                    try:
                        out = g.pull()
                    except (av.error.BlockingIOError, av.error.EOFError):
                        break
                    a = out.to_ndarray()
                    n += 1
                    yield t, a
        except av.error.FFmpegError as e:
            if n == 0:
                raise DecodeError(f"{self.path}: video cannot be decoded ({e})") from e
            log.warning("%s: video decoding stopped early (%s); using what was decoded", self.path, e)
        if n == 0:
            why = f" ({last_error})" if last_error else ""
            raise DecodeError(f"{self.path}: the video stream holds no decodable frames{why}")
        if self.errors:
            log.warning("%s: %d damaged video packets or frames skipped", self.path, self.errors)
