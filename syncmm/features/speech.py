"""Speech features for lip sync: log-mel bands, the voice-band envelope and speech activity, every 10 ms.

NumPy only (no librosa import on the ``check`` path); arrays in, arrays out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..exceptions import ParameterError

RATE = 100.0  # frames/s
N_MELS = 24


@dataclass(frozen=True, eq=False)
class SpeechFeatures:
    """Every 10 ms: ``times`` (frame centres, s), ``mel`` (n, 24) log10 mel energies 80-7600 Hz (or up to
    Nyquist), ``envelope`` (n,) voice-band (300-3000 Hz) log10 energy and ``active`` (n,) speech activity."""

    times: np.ndarray
    mel: np.ndarray
    envelope: np.ndarray
    active: np.ndarray


def mel_filters(sr: int, n_fft: int, n_mels: int = N_MELS, fmin: float = 80.0, fmax: float = 7600.0) -> np.ndarray:
    """Triangular mel filters (HTK mel scale), ``(n_mels, n_fft // 2 + 1)``."""
    fmax = min(fmax, sr / 2)

    def mel(f):
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    pts = 700.0 * (10 ** (np.linspace(mel(fmin), mel(fmax), n_mels + 2) / 2595.0) - 1.0)
    f = np.fft.rfftfreq(n_fft, 1.0 / sr)
    lo, c, hi = pts[:-2, None], pts[1:-1, None], pts[2:, None]
    return np.maximum(0.0, np.minimum((f - lo) / (c - lo), (hi - f) / (hi - c)))


def speech_features(y: np.ndarray, sr: int, t0: float = 0.0) -> SpeechFeatures:
    """Log-mel bands, voice-band envelope and activity of a mono signal every 10 ms.

    Parameters
    ----------
    y : np.ndarray
        Mono samples.
    sr : int
        Sample rate, at least 8 kHz.
    t0 : float
        Time of the first sample.

    Returns
    -------
    SpeechFeatures
    """
    if sr < 8000:
        raise ParameterError("the audio rate must be at least 8 kHz")
    y = np.asarray(y, np.float32)
    hop = int(round(sr / RATE))
    n_fft = 1 << int(np.ceil(np.log2(0.025 * sr)))
    n = max(len(y) // hop, 0)
    if n == 0:
        e = np.zeros(0)
        return SpeechFeatures(e, np.zeros((0, N_MELS)), e, np.zeros(0, bool))
    pad = np.concatenate([np.zeros(n_fft // 2, np.float32), y, np.zeros(n_fft, np.float32)])
    win = np.hanning(n_fft).astype(np.float32)
    fb = mel_filters(sr, n_fft).astype(np.float32)
    f = np.fft.rfftfreq(n_fft, 1.0 / sr)
    voice = ((f >= 300) & (f <= 3000)).astype(np.float32)
    mel = np.empty((n, N_MELS), np.float32)
    env = np.empty(n, np.float32)
    step = 8192  # frames per block: bounded memory on long files
    for a in range(0, n, step):
        b = min(n, a + step)
        idx = (np.arange(a, b) * hop + hop // 2)[:, None] + np.arange(n_fft)[None, :]
        spec = np.abs(np.fft.rfft(pad[idx] * win, axis=1)) ** 2
        mel[a:b] = np.log10(spec @ fb.T + 1e-10)
        env[a:b] = np.log10(spec @ voice / n_fft + 1e-10)
    times = t0 + (np.arange(n) + 0.5) * hop / sr
    return SpeechFeatures(times, mel.astype(np.float64), env.astype(np.float64), speech_activity(env))


def speech_activity(envelope: np.ndarray) -> np.ndarray:
    """Frames well above the quiet floor (the 30th percentile of the log energy + 0.5, i.e. ~10 dB x 0.5)."""
    env = np.asarray(envelope, np.float64)
    if not len(env):
        return np.zeros(0, bool)
    return env > np.percentile(env, 30) + 0.5
