"""Decoded frames to NumPy arrays (read as they are, or through FFmpeg's conversion), and the growable buffer
decoded audio is written into."""

from __future__ import annotations

import numpy as np

#: Sample formats read as they are when no rate or channel change is needed (FFmpeg's own scaling to float).
AS_IS = {"flt": 1, "fltp": 1, "s16": 2.0**-15, "s16p": 2.0**-15}


DTYPES = {"flt": np.float32, "s16": np.int16, "s32": np.int32, "dbl": np.float64, "u8": np.uint8}


def frames_array(frames: list, n: int) -> np.ndarray:
    """The frames' samples side by side, as ``np.concatenate([f.to_ndarray() for f in frames], axis=1)`` gives
    them, read from the planes directly (``to_ndarray`` stacks each frame's planes: a third of the loop's time)."""
    f0 = frames[0]
    dt = DTYPES.get(f0.format.name.rstrip("p"))
    if dt is None:
        return np.concatenate([f.to_ndarray() for f in frames], axis=1)
    k = f0.layout.nb_channels
    planar = f0.format.is_planar
    out = np.empty((k, n) if planar else (1, n * k), dt)
    o = 0
    for f in frames:
        m = f.samples
        if planar:
            for c, plane in enumerate(f.planes):
                out[c, o : o + m] = np.frombuffer(plane, dt, m)
            o += m
        else:
            out[0, o : o + m * k] = np.frombuffer(f.planes[0], dt, m * k)
            o += m * k
    return out


def capacity(duration_s: float, sr: int) -> int:
    """Samples to reserve for a stream said to last ``duration_s`` at ``sr``: 1 % and 1 s more (durations from
    headers are estimates); a longer stream grows its buffer."""
    return int(duration_s * sr * 1.01) + sr


class SampleBuffer:
    """Growable float32 buffer: decoded audio is written once, without a list of chunks to concatenate."""

    def __init__(self, capacity: int, storage: np.ndarray | None = None):
        """``storage``: write into this array (memory shared with another process) while the samples fit;
        the buffer moves to new memory of its own when they do not (``a`` is then another array)."""
        self.a = np.empty(max(capacity, 4096), np.float32) if storage is None else storage
        self._given = storage
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
        """The samples; in the given storage still when they fit there, else a trimmed array of its own."""
        if self.n >= 0.9 * len(self.a) or self.a is self._given:
            return self.a[: self.n]
        return self.a[: self.n].copy()


def _frame(x: np.ndarray, fmt: str, layout: str, rate: int):
    """A new frame holding ``x`` (as ``to_ndarray`` gives a frame's samples) in that format, layout and rate."""
    import av

    out = av.AudioFrame.from_ndarray(np.ascontiguousarray(x), fmt, layout)
    out.sample_rate = rate
    return out


def _relabel(fr, fmt: str, layout: str, rate: int):
    return _frame(fr.to_ndarray(), fmt, layout, rate)


def trim_frame(fr, k: int):
    """A decoded frame without its first ``k`` samples (a new frame of the same format, layout and rate)."""
    x = fr.to_ndarray()
    x = x[:, k:] if fr.format.is_planar else x[:, k * fr.layout.nb_channels :]
    return _frame(x, fr.format.name, fr.layout.name, fr.sample_rate)


class Converter:
    """FFmpeg's conversion of decoded frames (rate, channel mix, sample format) to planar float32.

    Frames are pushed one by one into a filter graph (``abuffer -> aformat -> abuffersink``, the graph
    PyAV's ``AudioResampler`` builds, so the same resampler and the same samples) and its output is read
    in blocks of ``block`` samples.  Joining frames into one large frame for ``AudioResampler`` instead
    copied every sample twice: this is 15-25 % cheaper for the whole conversion.  The graph takes its
    input format from the first frame; :meth:`finish` ends the stream (the resampler's tail) and the next
    frame starts a new one.
    """

    def __init__(self, rate: int, layout: str, channels: int, block: int):
        self.rate, self.layout, self.channels, self.block = rate, layout, channels, block
        self._src = self._sink = None
        self._graph = None
        self._in: tuple[str, str, int] = ("", "", 0)  # the stream's sample format, layout and rate

    def _start(self, fr) -> None:
        from av.filter import Graph

        self._in = (fr.format.name, fr.layout.name, fr.sample_rate)
        g = Graph()
        src = g.add("abuffer", sample_rate=str(fr.sample_rate), sample_fmt=fr.format.name,
                    channel_layout=fr.layout.name, time_base=f"1/{fr.sample_rate}")  # fmt: skip
        fmt = g.add("aformat", sample_rates=str(self.rate), sample_fmts="fltp", channel_layouts=self.layout)
        sink = g.add("abuffersink")
        src.link_to(fmt)
        fmt.link_to(sink)
        g.configure()
        g.set_audio_frame_size(self.block)
        self._graph, self._src, self._sink = g, src, sink

    def push(self, frames: list) -> None:
        """Queue decoded frames of one format (their timestamps are not used: the caller keeps time)."""
        if self._src is None:
            self._start(frames[0])
        push, (fmt, layout, rate) = self._src.push, self._in
        for fr in frames:
            if fr.layout.name != layout:  # same channel count, another label (a damaged header): FFmpeg's
                fr = _relabel(fr, fmt, layout, rate)  # source refuses it; read its samples as the stream's
            fr.pts = None
            push(fr)

    def pull(self) -> list[np.ndarray]:
        """The converted samples ready so far, as ``(channels, n)`` float32 arrays."""
        import av

        out = []
        if self._sink is None:
            return out
        pull, k = self._sink.pull, self.channels
        while True:
            try:
                o = pull()
            except (EOFError, av.error.BlockingIOError):
                return out
            if k == 1:
                out.append(np.frombuffer(o.planes[0], np.float32, o.samples)[None, :])
            else:
                out.append(np.stack([np.frombuffer(o.planes[i], np.float32, o.samples) for i in range(k)]))

    def finish(self) -> list[np.ndarray]:
        """End the stream: the rest of the samples; the next :meth:`push` starts a new stream."""
        if self._src is None:
            return []
        self._src.push(None)
        out = self.pull()
        self._graph = self._src = self._sink = None
        return out
