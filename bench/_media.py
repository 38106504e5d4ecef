"""Benchmark media: long recordings of one 'event' made of real speech over a non-repeating noise bed.

The event is generated in 60-s blocks at 48 kHz, each from its own seed, so that any span of it can be
streamed to an encoder in bounded memory.  REF and OTHER are spans of the same event; the truth is
``offset_s = other_start - ref_start`` exactly (integer samples at 48 kHz; encoders resample as needed).
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from syncmm.media import load_audio
from syncmm.media.write import write_audio
from syncmm.synth import speech_like

SR = 48000
BLOCK = 60 * SR
HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
SHARED = HERE.parent.parent / "shared" / "data" / "speech"


@functools.lru_cache(maxsize=1)
def _speech_clips() -> tuple[np.ndarray, ...]:
    clips = []
    for p in sorted(SHARED.glob("*.flac")):
        y = load_audio(p, sr=SR).y
        clips += [y[a : a + 4 * SR] for a in range(0, len(y) - 2 * SR, 4 * SR)]  # 4-s phrases
    return tuple(c for c in clips if len(c) > SR)


@functools.lru_cache(maxsize=4)
def _block(b: int) -> np.ndarray:
    rng = np.random.default_rng(1_000_003 + b)
    y = speech_like(60.0, SR, rng, level=0.12)
    clips = _speech_clips()
    if clips:
        t = int(rng.uniform(0, 2) * SR)
        while t < BLOCK:
            c = clips[int(rng.integers(len(clips)))] * rng.uniform(0.3, 0.9)
            end = min(BLOCK, t + len(c))
            y[t:end] += c[: end - t]
            t = end + int(rng.uniform(0.3, 3.0) * SR)
    return y


def event(start: int, n: int, chunk: int = BLOCK):
    """Yield the event from sample ``start`` (may be negative) for ``n`` samples, in chunks."""
    pos, end = start, start + n
    while pos < end:
        b = pos // BLOCK
        a = pos - b * BLOCK
        k = min(BLOCK - a, end - pos, chunk)
        yield _block(b)[a : a + k]
        pos += k


def degrade(chunks, noise_db: float | None = None, lowpass_hz: float | None = None, gain: float = 1.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    for y in chunks:
        y = y * gain
        if lowpass_hz:
            Y = np.fft.rfft(y)
            Y[np.fft.rfftfreq(len(y), 1 / SR) > lowpass_hz] = 0
            y = np.fft.irfft(Y, len(y))
        if noise_db is not None:
            p = float(np.mean(y**2)) + 1e-12
            y = y + rng.standard_normal(len(y)) * np.sqrt(p / 10 ** (noise_db / 10))
        yield np.clip(y, -1, 1).astype(np.float32)


@dataclass(frozen=True)
class Case:
    name: str
    ref_minutes: float
    other_start_s: float  # event time of OTHER's first sample; REF starts at event time 0
    other_minutes: float
    other_ext: str
    other_kw: dict = field(default_factory=dict)
    noise_db: float | None = None
    lowpass_hz: float | None = None
    gain: float = 1.0
    ref_ext: str = ".mp3"

    @property
    def truth(self) -> float:
        return round(self.other_start_s * SR) / SR

    def paths(self) -> tuple[Path, Path]:
        ref = WORK / f"ref_{self.ref_minutes:g}min{self.ref_ext}"
        return ref, WORK / f"{self.name}{self.other_ext}"

    def make(self) -> tuple[Path, Path]:
        WORK.mkdir(parents=True, exist_ok=True)
        ref, other = self.paths()
        if not ref.exists():
            tmp = ref.with_name(".tmp" + ref.suffix)
            write_audio(tmp, event(0, int(self.ref_minutes * 60 * SR)), SR, channels=2, bit_rate=128000)
            tmp.rename(ref)
        if not other.exists():
            # the noise's seed from crc32: a str's hash() is salted per process (until 2026-12-02 the noise of c3
            # and c7 changed each time the files were made)
            chunks = degrade(
                event(round(self.other_start_s * SR), int(self.other_minutes * 60 * SR)),
                self.noise_db, self.lowpass_hz, self.gain, seed=zlib.crc32(self.name.encode()) & 0xFFFF,
            )  # fmt: skip
            tmp = other.with_name(".tmp" + other.suffix)
            write_audio(tmp, chunks, SR, **self.other_kw)
            tmp.rename(other)
        return ref, other


CASES_10MIN = [
    Case("c1_mp3_44k_+61", 10, 61.2345, 10, ".mp3", {"rate": 44100, "bit_rate": 128000}),
    Case("c2_aac_-30", 10, -30.0, 10, ".m4a", {"bit_rate": 64000}),
    Case("c3_opus_noise10db_+5", 10, 5.0, 10, ".ogg", {"bit_rate": 64000}, noise_db=10.0),
    Case("c4_aac_lowpass3k_+200", 10, 200.5, 10, ".m4a", {"bit_rate": 64000}, lowpass_hz=3000.0),
    Case("c5_wav44k_0", 10, 0.0, 10, ".wav", {"rate": 44100}),
    Case("c6_mp3_-123", 10, -123.4567, 10, ".mp3", {"bit_rate": 64000}),
    Case("c7_aac_quiet_noise20db_+300", 10, 300.0, 10, ".m4a", {"bit_rate": 96000}, noise_db=20.0, gain=0.3),
]
CASES_60MIN = [
    Case("h1_aac_60min_+123", 60, 123.456789, 60, ".m4a", {"bit_rate": 96000}),
    # a long recording and a short clip of it: the REF's decode is most of the work (split across both cores)
    Case("h2_aac_10of60min_+1234", 60, 1234.5678, 10, ".m4a", {"bit_rate": 64000}),
]
#: memory at scale: syncmm alone (the peers take minutes and gigabytes here)
CASES_3H = [
    Case("t1_aac_180min_+45", 180, 45.678901, 180, ".m4a", {"bit_rate": 64000}),
]
