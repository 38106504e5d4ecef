"""Generated test signals with exact ground truth (used by the tests, the fixtures and the benchmarks)."""

from __future__ import annotations

import numpy as np


def speech_like(duration_s: float, sr: int, rng: np.random.Generator, level: float = 0.3) -> np.ndarray:
    """Speech-like modulated noise: syllable bursts (80-300 ms) of band-passed noise with a pitch buzz.

    Never repeats, so any excerpt has exactly one true position.
    """
    n = int(round(duration_s * sr))
    env = np.zeros(n, np.float32)
    t = 0
    while t < n:
        gap = int(rng.uniform(0.04, 0.35) * sr)
        dur = int(rng.uniform(0.08, 0.3) * sr)
        a, b = t + gap, min(n, t + gap + dur)
        if a < n:
            w = np.hanning(max(b - a, 2))[: b - a]
            env[a:b] = w * rng.uniform(0.3, 1.0)
        t = b
    noise = rng.standard_normal(n).astype(np.float32)
    spec = np.fft.rfft(noise)
    f = np.fft.rfftfreq(n, 1 / sr)
    shape = 1.0 / (1.0 + (f / 1500.0) ** 2) + 0.3 * np.exp(-(((f - 2500.0) / 800.0) ** 2))
    shape[f < 80] = 0.0
    noise = np.fft.irfft(spec * shape, n).astype(np.float32)
    f0 = 110 + 40 * np.sin(2 * np.pi * np.cumsum(rng.uniform(0.1, 0.5, n)) / sr)
    buzz = np.sign(np.sin(2 * np.pi * np.cumsum(f0) / sr)).astype(np.float32) * 0.3
    y = (noise / (noise.std() + 1e-9) + buzz) * env
    return (level * y / (np.abs(y).max() + 1e-9)).astype(np.float32)


def fractional_delay(y: np.ndarray, delay_samples: float) -> np.ndarray:
    """Delay ``y`` by a possibly fractional number of samples (band-limited, same length, zeros shifted in)."""
    k = int(np.floor(delay_samples))
    frac = delay_samples - k
    out = np.zeros_like(y)
    if frac:
        pad = 256
        yp = np.concatenate([y, np.zeros(pad, y.dtype)])
        n = len(yp)
        Y = np.fft.rfft(yp)
        Y *= np.exp(-2j * np.pi * np.fft.rfftfreq(n) * frac)
        shifted = np.fft.irfft(Y, n)[: len(y)].astype(y.dtype)
    else:
        shifted = y
    if k >= 0:
        out[k:] = shifted[: len(y) - k] if k < len(y) else out[k:]
    else:
        out[: len(y) + k] = shifted[-k:]
    return out


def excerpt(base: np.ndarray, sr: int, start_s: float, duration_s: float) -> np.ndarray:
    """``base`` from ``start_s`` (may be fractional in samples) for ``duration_s``, band-limited.

    Two excerpts of one base give exact truth: ``offset_s = start_other - start_ref``.
    """
    pos = start_s * sr
    i = int(np.floor(pos))
    frac = pos - i
    n = int(round(duration_s * sr))
    guard = 512
    a = max(0, i - guard)
    seg = base[a : i + n + guard + 1].astype(np.float64)
    if frac:
        seg = fractional_delay(seg, -frac)
    out = seg[i - a : i - a + n]
    if len(out) < n:
        out = np.concatenate([out, np.zeros(n - len(out))])
    return out.astype(np.float32)


def add_noise(y: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """White noise at ``snr_db`` relative to the signal's mean power over its active part."""
    active = np.abs(y) > 1e-4
    p = float(np.mean(y[active] ** 2)) if active.any() else float(np.mean(y**2))
    noise = rng.standard_normal(len(y)) * np.sqrt(p / 10 ** (snr_db / 10))
    return (y + noise).astype(np.float32)


def lowpass(y: np.ndarray, sr: int, cutoff_hz: float) -> np.ndarray:
    """Zero-phase brick-wall low-pass (no delay)."""
    Y = np.fft.rfft(y)
    Y[np.fft.rfftfreq(len(y), 1 / sr) > cutoff_hz] = 0
    return np.fft.irfft(Y, len(y)).astype(np.float32)


def speech_timeline(
    duration_s: float, sr: int, rng: np.random.Generator, clips=(), bed_level: float = 0.1
) -> np.ndarray:
    """A long non-repeating 'event': real speech ``clips`` placed at random over a speech-like noise bed.

    Each clip may occur many times, but never with the same neighbours, gains and bed, so any window of
    a few seconds has one true position.  Without clips, generated speech-like sound only.
    """
    y = speech_like(duration_s, sr, rng, level=bed_level)
    n = len(y)
    t = int(rng.uniform(0, 1) * sr)
    while clips and t < n:
        c = clips[int(rng.integers(len(clips)))]
        k = min(len(c), n - t)
        y[t : t + k] += c[:k] * rng.uniform(0.3, 0.9)
        t += k + int(rng.uniform(0.2, 2.0) * sr)
    return y


def drifted(event: np.ndarray, sr: int, offset_s: float, drift_ppm: float, duration_s: float) -> np.ndarray:
    """OTHER recorded from ``event`` (REF's timeline, REF starts at 0) by a clock ``drift_ppm`` fast.

    Sample ``j`` of the result is the event at REF time ``offset_s + j / (sr * (1 + d))``, i.e.
    ``t_OTHER = (t_REF - offset_s) * (1 + d)``: exactly the model syncmm fits.
    """
    from .dsp.resample import resample_at
    from .types import TimeMap

    j = np.arange(int(round(duration_s * sr)), dtype=np.float64)
    return resample_at(event, TimeMap(offset_s, drift_ppm).ref_time(j / sr) * sr)


def moving_scene(t: float, rng_seed: int = 3, size=(120, 160), dx: int = 0, gain: float = 1.0) -> np.ndarray:
    """One grey picture (uint8, ``size`` = (h, w)) of a moving scene at scene time ``t``: blobs on smooth random
    paths and a square blinking at random (no repeat within 80 s), so that motion fixes one offset.  ``dx`` and
    ``gain`` make another camera's view of the same scene (shifted, darker)."""
    rng = np.random.default_rng(rng_seed)
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.full((h, w), 40.0)
    for _ in range(5):
        f1, f2, p1, p2 = rng.uniform(0.05, 0.4, 2).tolist() + rng.uniform(0, 6.28, 2).tolist()
        cx = w / 2 + 0.4 * w * np.sin(2 * np.pi * f1 * t + p1) + dx
        cy = h / 2 + 0.4 * h * np.sin(2 * np.pi * f2 * t + p2)
        img += 150 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 8.0**2))
    blinks = rng.random(400) < 0.4  # a 5 Hz on/off pattern
    if blinks[int(t * 5) % 400]:
        img[10:30, 10 + dx : 30 + dx] = 230
    return np.clip(img * gain, 0, 255).astype(np.uint8)
