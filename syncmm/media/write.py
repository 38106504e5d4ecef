"""Write audio with PyAV (generated fixtures, test media, and the corrected outputs of later commands)."""

from __future__ import annotations

import fractions
import itertools
import os
from collections.abc import Iterable, Iterator

import numpy as np

_DEFAULT_CODEC = {
    ".wav": "pcm_s16le", ".flac": "flac", ".mp3": "libmp3lame", ".m4a": "aac", ".mp4": "aac", ".mov": "aac",
    ".aac": "aac", ".ogg": "libopus", ".opus": "libopus", ".mka": "flac", ".mkv": "flac", ".webm": "libopus",
}  # fmt: skip


def write_audio(
    path: str | os.PathLike,
    y: np.ndarray | Iterable[np.ndarray],
    sr: int,
    *,
    codec: str | None = None,
    rate: int | None = None,
    bit_rate: int | None = None,
    start_s: float = 0.0,
    channels: int | None = None,
) -> None:
    """Encode ``y`` (float, shape ``(n,)`` or ``(channels, n)``) to ``path``.

    Parameters
    ----------
    path : str or PathLike
        Output; the container follows the extension.
    y : np.ndarray or iterable of np.ndarray
        Samples in [-1, 1]; an iterable of consecutive chunks streams long signals in bounded memory.
    sr : int
        Rate of ``y``.
    codec : str, optional
        FFmpeg encoder; default by extension (AAC for .m4a, Opus for .ogg, LAME for .mp3...).
    rate : int, optional
        Output sample rate (resampled by FFmpeg); default ``sr`` (48 kHz for Opus).
    bit_rate : int, optional
        For lossy codecs, bits/s.
    start_s : float
        Timestamp of the first sample in the container (where the container can store it).
    channels : int, optional
        Output channel count (1 or 2); default that of ``y``.
    """
    import av

    ext = os.path.splitext(str(path))[1].lower()
    codec = codec or _DEFAULT_CODEC.get(ext, "pcm_s16le")
    chunks = _chunks(y, sr)
    first = next(chunks)
    ch = channels or first.shape[0]
    layout = "mono" if ch == 1 else "stereo"
    out_rate = rate or (48000 if codec in ("libopus", "opus") else sr)
    with av.open(str(path), "w") as c:
        s = c.add_stream(codec, rate=out_rate)
        s.layout = layout
        if bit_rate:
            s.bit_rate = bit_rate
        fmts = s.codec_context.codec.audio_formats
        fmt = fmts[0].name if fmts else "fltp"
        fs = s.codec_context.frame_size or None
        res = av.AudioResampler(format=fmt, layout=layout, rate=out_rate, frame_size=fs)
        tb = fractions.Fraction(1, sr)
        a = 0
        for chunk in itertools.chain([first], chunks):
            if chunk.shape[0] != ch:
                chunk = np.repeat(chunk[:1], ch, axis=0)
            fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp", layout=layout)
            fr.sample_rate = sr
            fr.time_base = tb
            fr.pts = int(round(start_s * sr)) + a
            a += chunk.shape[1]
            for o in res.resample(fr):
                for p in s.encode(o):
                    c.mux(p)
        for o in res.resample(None):
            for p in s.encode(o):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)


def _chunks(y: np.ndarray | Iterable[np.ndarray], sr: int) -> Iterator[np.ndarray]:
    """Yield float32 ``(channels, n)`` chunks of about one second."""
    if isinstance(y, np.ndarray):
        data = np.atleast_2d(np.asarray(y, np.float32))
        for a in range(0, max(data.shape[1], 1), sr):
            yield data[:, a : a + sr]
        return
    for part in y:
        data = np.atleast_2d(np.asarray(part, np.float32))
        for a in range(0, data.shape[1], sr):
            yield data[:, a : a + sr]
