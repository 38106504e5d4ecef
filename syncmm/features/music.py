"""Features for non-linear alignment (``syncmm warp``): chroma, quantised chroma, pitch-class onsets, MFCC.

All take mono audio and return ``Features`` with time on the last axis at exactly ``rate`` frames/s
(the hop is ``sr / rate`` samples, so ``sr`` must be a multiple of ``rate``).  Chroma, CENS and chroma onsets
are NumPy/SciPy only; the MFCC uses librosa's mel filter bank and DCT (imported only then: it costs ~1 s).
"""

from __future__ import annotations

import math

import numpy as np

from ..exceptions import ParameterError
from ..types import Features

KINDS = ("chroma", "cens", "onset", "mfcc")
N_FFT_S = 0.18  # analysis window (2048 samples at 12 kHz, 4096 at 22.05 kHz): semitones resolved down to ~100 Hz
#: :func:`chroma_onsets`: log compression, local normalisation window and decay (chosen by cross-validation across
#: the Vienna pieces, README "syncmm warp": how the defaults were chosen)
ONSET_GAMMA = 10000.0
ONSET_NORM_S = 0.25
ONSET_DECAY_S = 0.1
#: :func:`sounding_span`: frames at the ends this far below the loud level (dB), or this flat (noise), lead or
#: trail the music; a margin (s) is kept
SILENCE_DB = -50.0
NOISE_FLATNESS = 0.35
SILENCE_MARGIN_S = 0.1


def _hop(sr: int, rate: float) -> int:
    hop = sr / rate
    if rate <= 0 or abs(hop - round(hop)) > 1e-9:
        raise ParameterError(f"the feature rate {rate} must divide the sample rate {sr}")
    return int(round(hop))


def _unit(F: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(F, axis=0, keepdims=True)
    return F / np.where(n < 1e-12, 1.0, n)


def _power(y: np.ndarray, sr: int, hop: int) -> tuple[np.ndarray, int]:
    from scipy import fft as sfft  # float32 transforms: several times numpy's speed here

    n_fft = int(2 ** np.round(np.log2(N_FFT_S * sr)))
    pad = np.pad(np.asarray(y, np.float32), (n_fft // 2, n_fft // 2))
    n = 1 + (len(pad) - n_fft) // hop
    win = np.hanning(n_fft).astype(np.float32)
    S = np.empty((n_fft // 2 + 1, n), np.float32)
    for a in range(0, n, 2048):  # chunks of frames: bounded memory for long files
        b = min(n, a + 2048)
        idx = np.arange(a, b)[:, None] * hop + np.arange(n_fft)[None, :]
        S[:, a:b] = (np.abs(sfft.rfft(pad[idx] * win, axis=1)) ** 2).T
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


def chroma_onsets(
    S: np.ndarray,
    W: np.ndarray,
    rate: float,
    *,
    gamma: float = ONSET_GAMMA,
    norm_s: float = ONSET_NORM_S,
    decay_s: float = ONSET_DECAY_S,
) -> np.ndarray:
    """Decaying, locally normalised chroma onsets (the idea of synctoolbox's DLNCO), shape (12, N).

    Per STFT bin the rise of log-compressed power, ``max(0, diff(log(1 + gamma * S / max S)))``, summed per
    pitch class with the chroma weights ``W``; each frame divided by the largest frame norm within
    ``norm_s`` around it (so a soft passage's onsets count like a loud one's; values in [0, 1]); each onset
    then decays as ``sqrt(1 / k)`` over ``decay_s`` (the running maximum), so that a slightly early or
    late onset still overlaps.  Compared by Euclidean distance at the finest DTW scale.

    Parameters
    ----------
    S : np.ndarray [shape=(n_fft/2+1, N)]
        Power spectrogram at ``rate`` frames/s.
    W : np.ndarray [shape=(12, n_fft/2+1)]
        :func:`chroma_filters` of the same STFT.
    rate : float
        Frames per second.
    gamma, norm_s, decay_s : float
        Log compression, normalisation window (s) and decay length (s).

    Returns
    -------
    np.ndarray [shape=(12, N)]
    """
    from scipy.ndimage import maximum_filter1d

    L = np.log1p((gamma / max(float(S.max()), 1e-20)) * S)
    rise = np.maximum(np.diff(L, axis=1, prepend=L[:, :1]), 0.0)
    ons = W @ rise
    norm = np.linalg.norm(ons, axis=0)
    local = maximum_filter1d(norm, max(int(round(norm_s * rate)) | 1, 1), mode="nearest")
    ons /= np.maximum(local, 1e-3 * max(float(norm.max()), 1e-12))[None, :]
    out = ons.copy()
    for k in range(1, max(int(round(decay_s * rate)), 1)):
        np.maximum(out[:, k:], math.sqrt(1.0 / (k + 1)) * ons[:, :-k], out=out[:, k:])
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
    C = S = Wc = None
    if any(k in ("chroma", "cens", "onset") for k in names):
        S, n_fft = _power(y, sr, _hop(sr, rate))
        Wc = chroma_filters(sr, n_fft)
        C = Wc @ S
    blocks, labels = [], []
    for k in names:
        if k == "chroma":
            blocks.append(_unit(C))
        elif k == "cens":
            blocks.append(cens(C, rate))
        elif k == "onset":
            blocks.append(chroma_onsets(S, Wc, rate))
        else:
            M = mfcc(y, sr, rate)
            blocks.append(M / max(float(np.abs(M).max()), 1e-9))
        labels += [f"{k}{i}" for i in range(blocks[-1].shape[0])]
    n = min(b.shape[1] for b in blocks)
    X = np.vstack([b[:, :n] for b in blocks]).astype(np.float32)
    return Features(X=X, rate=float(rate), t0=t0, names=tuple(labels))


def sounding_span(
    y: np.ndarray,
    sr: int,
    rate: float,
    *,
    floor_db: float = SILENCE_DB,
    max_flatness: float = NOISE_FLATNESS,
    margin_s: float = SILENCE_MARGIN_S,
) -> tuple[int, int]:
    """Feature frames ``(first, end)`` between what leads and trails the music: silence, and noise such as
    applause, a count-in or room tone.

    A frame (``sr / rate`` samples apart) sounds when its power between 100 Hz and 5 kHz is within
    ``floor_db`` of the 99th percentile over all frames and its spectral flatness there (geometric over
    arithmetic mean, median over 0.5 s) is below ``max_flatness`` (white noise ~0.55, tones near 0).  Only the
    ends are cut (a quiet or noisy passage inside is kept), with ``margin_s`` left before the first sounding
    frame (its onset must be seen rising) and after the last.  All frames when none sounds.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio.
    sr : int
        Its rate (a multiple of ``rate``).
    rate : float
        Feature frames per second.
    floor_db, max_flatness, margin_s : float
        The level threshold relative to the loud level, the noise threshold, and the margin kept (s).

    Returns
    -------
    (int, int)
        Frame ``first`` and one past the last frame to keep, frames as :func:`music_features` counts them.
    """
    from scipy import fft as sfft
    from scipy.ndimage import median_filter

    hop = _hop(sr, rate)
    n_fft = int(2 ** np.round(np.log2(0.04 * sr)))
    pad = np.pad(np.asarray(y, np.float32), (n_fft // 2, n_fft // 2))
    n = 1 + (len(pad) - n_fft) // hop
    f = np.fft.rfftfreq(n_fft, 1 / sr)
    band = (f >= 100) & (f <= 5000)
    win = np.hanning(n_fft).astype(np.float32)
    power = np.empty(n)
    flat = np.empty(n)
    for a in range(0, n, 4096):
        b = min(n, a + 4096)
        idx = np.arange(a, b)[:, None] * hop + np.arange(n_fft)[None, :]
        P = (np.abs(sfft.rfft(pad[idx] * win, axis=1)) ** 2)[:, band].astype(np.float64) + 1e-20
        power[a:b] = P.mean(axis=1)
        flat[a:b] = np.exp(np.log(P).mean(axis=1)) / power[a:b]
    flat = median_filter(flat, max(int(round(0.5 * rate)) | 1, 1), mode="nearest")
    loud = np.percentile(power, 99)
    ok = np.flatnonzero((power > loud * 10 ** (floor_db / 10)) & (flat < max_flatness))
    if len(ok) == 0 or loud <= 1e-20:
        return 0, n
    m = int(round(margin_s * rate))
    return max(int(ok[0]) - m, 0), min(int(ok[-1]) + 1 + m, n)


def split_onsets(F: Features) -> tuple[np.ndarray, np.ndarray | None]:
    """``(rows compared by cosine, onset rows)`` of :func:`music_features`' output: the ``onset`` rows go to
    :func:`syncmm.alignment.multiscale.warp`'s ``onsets`` (Euclidean, finest scale); ``(X, None)`` when there are
    no onset rows, or nothing else."""
    is_onset = np.array([n.startswith("onset") for n in F.names], bool)
    if len(is_onset) != F.X.shape[0] or not is_onset.any() or is_onset.all():
        return F.X, None
    return F.X[~is_onset], F.X[is_onset]
