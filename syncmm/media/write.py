"""Write audio with PyAV (generated fixtures, test media, and the corrected outputs of later commands)."""

from __future__ import annotations

import fractions
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np

from ..exceptions import ParameterError

#: The one codec table: an output's ending -> the audio encoder it gets unless told otherwise (every writer:
#: write_audio, warp --render, apply/--fix).  Video containers get AAC (Opus for WebM), audio-only Matroska
#: FLAC (lossless, exact start times).
DEFAULT_AUDIO_CODEC = {
    ".wav": "pcm_s16le", ".flac": "flac", ".mp3": "libmp3lame", ".m4a": "aac", ".mp4": "aac", ".m4v": "aac",
    ".mov": "aac", ".aac": "aac", ".ogg": "libopus", ".opus": "libopus", ".mka": "flac", ".mkv": "aac",
    ".webm": "libopus",
}  # fmt: skip


#: Encoder priming (output samples) that a container cannot signal: raw ADTS has no edit list, so decoders play
#: FFmpeg's AAC encoder's 1024 priming samples and the whole track would be late by 1024/rate (64 ms at 16 kHz).
#: Writers feed the encoder from that many samples in instead, so that decoded sample k is the intended sample k.
UNSIGNALLED_PRIMING = {("adts", "aac"): 1024}


class AudioEncoder:
    """The one audio encoding loop (every writer: ``write_audio``, corrected media, generated test video):
    float ``(channels, n)`` blocks at ``in_rate`` -> resample to the encoder's format and ``rate`` -> encode ->
    mux into ``out``, the first sample at ``start_s``; :meth:`close` flushes.

    The priming the container cannot signal (:data:`UNSIGNALLED_PRIMING`) is skipped at the start, so that
    decoded sample k is the intended sample k.  ``bit_rate`` None leaves the codec's default; ``deep`` keeps
    24-bit sources 24-bit in FLAC/ALAC/PCM24 (32-bit sample format).
    """

    def __init__(self, out, codec: str, rate: int, channels: int, start_s: float = 0.0, *,
                 in_rate: int | None = None, bit_rate: int | None = None, deep: bool = False):  # fmt: skip
        import av

        self.in_rate = in_rate or rate
        priming = UNSIGNALLED_PRIMING.get((out.format.name, codec), 0)
        self.skip = round(priming * self.in_rate / rate)  # input samples the container cannot mark as priming
        self.layout = "mono" if channels == 1 else "stereo" if channels == 2 else av.AudioLayout(channels).name
        self.s = out.add_stream(codec, rate=rate)
        self.s.layout = self.layout
        if bit_rate:
            self.s.bit_rate = bit_rate
        fmts = [f.name for f in (self.s.codec_context.codec.audio_formats or [])]
        fmt = fmts[0] if fmts else "fltp"
        if deep and (codec == "flac" or codec.startswith("pcm_s24") or codec == "alac"):
            fmt = next((f for f in fmts if f.startswith("s32")), fmt)
        self.out = out
        self.pts0 = int(round(start_s * self.in_rate))
        self.n = 0
        self.tb = fractions.Fraction(1, self.in_rate)
        self.res = av.AudioResampler(format=fmt, layout=self.layout, rate=rate,
                                     frame_size=self.s.codec_context.frame_size or None)  # fmt: skip

    @property
    def written_s(self) -> float:
        """The time just after the last sample given (skipped priming included)."""
        return (self.pts0 + self.n) / self.in_rate

    def write(self, y: np.ndarray) -> None:
        """Encode the next block (float, ``(channels, n)``)."""
        import av

        from .._proc import raise_if_interrupted

        raise_if_interrupted()
        if self.skip:
            cut = min(self.skip, y.shape[1])
            self.skip -= cut
            self.n += cut
            y = y[:, cut:]
        if y.shape[1] == 0:
            return
        fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(y, np.float32), format="fltp", layout=self.layout)
        fr.sample_rate = self.in_rate
        fr.time_base = self.tb
        fr.pts = self.pts0 + self.n
        self.n += y.shape[1]
        for o in self.res.resample(fr):
            for p in self.s.encode(o):
                self.out.mux(p)

    def close(self) -> None:
        """Flush the resampler and the encoder."""
        for o in self.res.resample(None):
            for p in self.s.encode(o):
                self.out.mux(p)
        for p in self.s.encode(None):
            self.out.mux(p)


def check_audio_container(path: str | os.PathLike) -> str:
    """The default encoder for an audio file named ``path``.

    Raises
    ------
    ParameterError
        The name's ending is no audio container this writer knows.
    """
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in DEFAULT_AUDIO_CODEC:
        known = ", ".join(DEFAULT_AUDIO_CODEC)
        raise ParameterError(f"{path}: cannot write audio to a {ext or 'nameless'} file; use {known}")
    return DEFAULT_AUDIO_CODEC[ext]


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

    codec = codec or check_audio_container(path)
    chunks = _chunks(y, sr)
    first = next(chunks)
    ch = channels or first.shape[0]
    out_rate = rate or (48000 if codec in ("libopus", "opus") else sr)
    with av.open(str(path), "w") as c:
        enc = AudioEncoder(c, codec, out_rate, ch, start_s, in_rate=sr, bit_rate=bit_rate)
        for chunk in itertools.chain([first], chunks):
            enc.write(chunk if chunk.shape[0] == ch else np.repeat(chunk[:1], ch, axis=0))
        enc.close()


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


def write_test_video(
    path: str | os.PathLike,
    duration_s: float,
    *,
    fps: int = 25,
    size: tuple[int, int] = (160, 96),
    audio: np.ndarray | None = None,
    sr: int = 48000,
    audio_codec: str = "aac",
    start_s: float = 0.0,
    bframes: int = 0,
    picture: Callable[[float], np.ndarray] | Sequence[np.ndarray] | None = None,
    crf: int = 30,
) -> None:
    """Write a generated H.264 clip (moving stripes, a frame counter in the pixels) with optional audio.

    For tests and benchmarks: a stand-in for a camera file.  ``audio`` (float, ``(n,)`` or ``(channels, n)``)
    becomes the scratch track, encoded with ``audio_codec`` and interleaved with the video.  ``bframes > 0``
    encodes like a camera does (B-frames: decode order differs from display order, negative DTS).
    ``picture`` replaces the stripes: a function of the clip's time in seconds, or a sequence of frames
    (uint8, ``(h, w)`` grey or ``(h, w, 3)`` RGB, ``size`` = ``(w, h)``).
    """
    import av

    w, h = size
    n_frames = int(round(duration_s * fps))
    x = np.arange(w)[None, :]

    def frame(i: int) -> np.ndarray:
        if picture is None:
            img = ((x + 3 * i) % 64 * 4).astype(np.uint8).repeat(h, axis=0)
            img[: h // 8, :] = (i * 7) % 256
            return img
        return picture(i / fps) if callable(picture) else picture[i]

    with av.open(str(path), "w") as c:
        opts = {"preset": "ultrafast", "crf": str(crf), "g": str(2 * fps)}
        if bframes:
            opts.update(preset="veryfast", bf=str(bframes))
        vs = c.add_stream("libx264", rate=fps, options=opts)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        enc = None
        data = None
        if audio is not None:
            data = np.atleast_2d(np.asarray(audio, np.float32))
            enc = AudioEncoder(c, audio_codec, sr, data.shape[0], start_s)
        a = 0
        for i in range(n_frames):
            img = frame(i)
            fr = av.VideoFrame.from_ndarray(img, format="gray" if img.ndim == 2 else "rgb24")
            fr.pts = i + int(round(start_s * fps))
            for p in vs.encode(fr):
                c.mux(p)
            if data is not None:  # audio up to this frame's end, so the file is interleaved
                b = min(data.shape[1], int(round((i + 1) / fps * sr)))
                if b > a:
                    enc.write(data[:, a:b])
                    a = b
        for p in vs.encode(None):
            c.mux(p)
        if enc is not None:
            enc.close()


REENCODE_EXT = {"aac": ".m4a", "mp3": ".mp3", "opus": ".ogg", "flac": ".flac", "vorbis": ".oga"}


def reencode(y: np.ndarray, sr: int, codec: str) -> np.ndarray:
    """``y`` encoded with ``codec`` (aac, mp3, opus, flac, vorbis) and decoded back to ``sr``, on ``y``'s
    timeline (codec priming removed, as :func:`~syncmm.media.load_audio` does): for robustness tests."""
    import tempfile

    from .audio import load_audio

    if codec not in REENCODE_EXT:
        raise ParameterError(f"cannot re-encode with {codec!r}: use {', '.join(REENCODE_EXT)}")
    with tempfile.TemporaryDirectory(prefix="syncmm-") as d:
        p = os.path.join(d, "x" + REENCODE_EXT[codec])
        write_audio(p, y, sr, codec="libvorbis" if codec == "vorbis" else None)
        sig = load_audio(p, sr)
    z = sig.y
    k = int(round(sig.t0 * sr))
    if k > 0:
        z = np.concatenate([np.zeros(k, np.float32), z])
    elif k < 0:
        z = z[-k:]
    return z[: len(y)]
