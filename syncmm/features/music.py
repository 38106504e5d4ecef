"""Features for non-linear alignment (``syncmm warp``): chroma, quantised chroma, pitch-class onsets, MFCC.

All take mono audio and return ``Features`` with time on the last axis at exactly ``rate`` frames/s
(the hop is ``sr / rate`` samples, so ``sr`` must be a multiple of ``rate``).  Chroma, CENS and pitch onsets
are NumPy/SciPy only; the MFCC uses librosa's mel filter bank and DCT (imported only then: it costs ~1 s).
"""

from __future__ import annotations

import numpy as np

from ..exceptions import ParameterError
from ..types import Features

KINDS = ("chroma", "cens", "onset", "mfcc")
N_FFT_S = 0.18  # analysis window (2048 samples at 12 kHz, 4096 at 22.05 kHz): semitones resolved down to ~100 Hz


def _hop(sr: int, rate: float) -> int:
    hop = sr / rate
    if rate <= 0 or abs(hop - round(hop)) > 1e-9:
        raise ParameterError(f"the feature rate {rate} must divide the sample rate {sr}")
    return int(round(hop))


def _unit(F: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(F, axis=0, keepdims=True)
    return F / np.where(n < 1e-12, 1.0, n)


def _power(y: np.ndarray, sr: int, hop: int) -> tuple[np.ndarray, int]:
    n_fft = int(2 ** np.round(np.log2(N_FFT_S * sr)))
    pad = np.pad(np.asarray(y, np.float32), (n_fft // 2, n_fft // 2))
    n = 1 + (len(pad) - n_fft) // hop
    win = np.hanning(n_fft).astype(np.float32)
    S = np.empty((n_fft // 2 + 1, n), np.float32)
    for a in range(0, n, 2048):  # chunks of frames: bounded memory for long files
        b = min(n, a + 2048)
        idx = np.arange(a, b)[:, None] * hop + np.arange(n_fft)[None, :]
        S[:, a:b] = (np.abs(np.fft.rfft(pad[idx] * win, axis=1)) ** 2).T
    return S, n_fft


def chroma_filters(sr: int, n_fft: int, fmin: float = 55.0, fmax: float = 5000.0) -> np.ndarray:
    """(12, n_fft/2+1) weights: each STFT bin's energy shared among the pitch classes near its pitch
    (Gaussian, 0.5 semitone wide, circular), bins outside ``fmin..fmax`` ignored, mid octaves weighted most."""
    f = np.arange(n_fft // 2 + 1) * sr / n_fft
    ok = (f >= fmin) & (f <= fmax)
    midi = np.zeros_like(f)
    midi[ok] = 12 * np.log2(f[ok] / 440.0) + 69
    d = (midi[None, :] - np.arange(12)[:, None] - 60 + 6) % 12 - 6  # semitones to each class, in [-6, 6)
    W = np.exp(-0.5 * (d / 0.5) ** 2)
    W /= W.sum(axis=0, keepdims=True)
    W *= np.exp(-0.5 * ((midi - 66) / 24) ** 2)[None, :]
    W[:, ~ok] = 0.0
    return W.astype(np.float32)


def chroma(y: np.ndarray, sr: int, rate: float = 50.0) -> np.ndarray:
    """Energy per pitch class from the STFT, shape (12, N); C first.  (NumPy only: no librosa import.)"""
    hop = _hop(sr, rate)
    S, n_fft = _power(y, sr, hop)
    return chroma_filters(sr, n_fft) @ S


def cens(C: np.ndarray, rate: float, smooth_s: float = 0.2) -> np.ndarray:
    """Quantised, smoothed chroma (CENS-like): robust to dynamics and articulation."""
    P = C / np.maximum(C.sum(axis=0, keepdims=True), 1e-12)
    Q = np.zeros_like(P)
    for th in (0.05, 0.1, 0.2, 0.4):
        Q += P > th
    k = max(int(round(smooth_s * rate)) | 1, 1)
    w = np.hanning(k + 2)[1:-1]
    from scipy.ndimage import convolve1d

    return _unit(convolve1d(Q, w / w.sum(), axis=1, mode="nearest"))


def pitch_onsets(C: np.ndarray, rate: float) -> np.ndarray:
    """Onsets per pitch class: half-wave rectified rise of log chroma, locally normalised (DLNCO-like), (12, N)."""
    L = np.log1p(100.0 * _unit(C))
    d = np.diff(L, axis=1, prepend=L[:, :1])
    rise = np.maximum(d, 0.0)
    from scipy.ndimage import maximum_filter1d

    k = max(int(round(1.0 * rate)), 1)
    peak = maximum_filter1d(rise.max(axis=0), k, mode="nearest")
    rise = rise / np.maximum(peak, 1e-6)[None, :]
    w = np.exp(-np.arange(int(0.1 * rate) + 1) / max(0.02 * rate, 1e-6))  # a short decay: onsets get a duration
    w /= w.sum()
    out = w[0] * rise
    for t in range(1, len(w)):  # causal FIR along time (a few taps)
        out[:, t:] += w[t] * rise[:, :-t]
    return out


def mfcc(y: np.ndarray, sr: int, rate: float = 50.0, n_mfcc: int = 20) -> np.ndarray:
    """MFCC 1..n (the 0th, loudness, dropped), shape (n_mfcc, N)."""
    import librosa

    hop = _hop(sr, rate)
    S, n_fft = _power(y, sr, hop)
    mel = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=64).astype(np.float32) @ S
    M = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=n_mfcc + 1)
    return M[1:]


def music_features(
    y: np.ndarray, sr: int, rate: float = 50.0, kinds: str = "chroma+onset", t0: float = 0.0
) -> Features:
    """Stack the requested feature kinds (``"chroma+onset"``, ``"cens"``, ``"mfcc"``...) of mono audio ``y``.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio.
    sr : int
        Its rate; a multiple of ``rate`` (22050 Hz for 50 frames/s).
    rate : float
        Frames per second.
    kinds : str
        ``+``-separated names from :data:`KINDS`; chroma-like blocks are unit-normalised each, so they weigh
        the same in a cosine cost.
    t0 : float
        Time of ``y``'s first sample.

    Returns
    -------
    Features
    """
    names = [k.strip() for k in kinds.split("+") if k.strip()]
    bad = [k for k in names if k not in KINDS]
    if bad or not names:
        raise ParameterError(f"unknown features {'+'.join(bad) or kinds!r}; use {', '.join(KINDS)} joined by +")
    if len(y) < sr / rate * 2:
        raise ParameterError("the audio is too short for these features")
    C = chroma(y, sr, rate) if any(k in ("chroma", "cens", "onset") for k in names) else None
    blocks, labels = [], []
    for k in names:
        if k == "chroma":
            blocks.append(_unit(C))
        elif k == "cens":
            blocks.append(cens(C, rate))
        elif k == "onset":
            blocks.append(_unit(pitch_onsets(C, rate)))
        else:
            M = mfcc(y, sr, rate)
            blocks.append(M / max(float(np.abs(M).max()), 1e-9))
        labels += [f"{k}{i}" for i in range(blocks[-1].shape[0])]
    n = min(b.shape[1] for b in blocks)
    X = np.vstack([b[:, :n] for b in blocks]).astype(np.float32)
    return Features(X=X, rate=float(rate), t0=t0, names=tuple(labels))
