"""A file's own A/V offset from the speaker's lips: mouth opening against the speech envelope.

REF is the picture and OTHER the audio: ``offset_s = t_picture - t_audio`` of the same event, so audio
200 ms late gives -0.200 (cut 0.2 s from the audio).  Arrays in, a frozen dataclass out; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..exceptions import AlignmentError, ParameterError

RATE = 100.0  # analysis grid, frames/s
MIN_CONFIDENCE = 0.35  # below: undecidable (exit 4); single 3-s GRID clips land around 0.3
#: Raw peak on in-sync material: the six GRID clips joined give -9 ms at every shift from -400 to +400 ms
#: (README "Lip sync"); removed from every estimate.
DEFAULT_BIAS_S = -0.009


@dataclass(frozen=True, eq=False)
class LipSyncEstimate:
    """``offset_s`` (picture minus audio, bias removed), the raw peak, confidence and the evidence used."""

    offset_s: float
    raw_offset_s: float
    bias_s: float
    confidence: float
    correlation: float
    runner_up_offset_s: float | None
    face_s: float  # seconds with a face
    speech_s: float  # seconds with speech, where a face is present too
    lags_s: np.ndarray
    curve: np.ndarray
    # the evidence as given: mouth opening per video frame (NaN without a face) and the speech envelope
    times: np.ndarray | None = None
    mouth: np.ndarray | None = None
    env_times: np.ndarray | None = None
    env: np.ndarray | None = None


def _bandpass(x: np.ndarray, rate: float, lo: float, hi: float) -> np.ndarray:
    """Zero-phase band-pass by an FFT mask with 10 %-wide cosine edges (NumPy only: no scipy.signal import)."""
    n = len(x)
    m = 1 << max(int(np.ceil(np.log2(max(n, 2)))), 1)
    X = np.fft.rfft(x, m)
    f = np.fft.rfftfreq(m, 1 / rate)
    w = np.clip((f - 0.9 * lo) / (0.2 * lo), 0, 1) * np.clip((1.1 * hi - f) / (0.2 * hi), 0, 1)
    w = 0.5 - 0.5 * np.cos(np.pi * w)
    return np.fft.irfft(X * w, m)[:n]


def speech_envelope(y: np.ndarray, sr: int, t0: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Voice-band (300-3000 Hz) log energy every 10 ms: times and values."""
    if sr < 8000:
        raise ParameterError("the audio rate must be at least 8 kHz")
    v = _bandpass(np.asarray(y, np.float64), sr, 300.0, 3000.0)
    hop = int(sr / RATE)
    n = len(v) // hop
    e = (v[: n * hop].reshape(n, hop) ** 2).mean(axis=1)
    return t0 + (np.arange(n) + 0.5) * hop / sr, np.log10(e + 1e-10)


def estimate_av_offset(
    times: np.ndarray,
    mouth: np.ndarray,
    env_times: np.ndarray,
    env: np.ndarray,
    *,
    max_offset: float = 1.0,
    bias_s: float = DEFAULT_BIAS_S,
    min_confidence: float = MIN_CONFIDENCE,
) -> LipSyncEstimate:
    """Cross-correlate the mouth signal (NaN = no face) with the speech envelope over +-``max_offset``.

    Parameters
    ----------
    times, mouth : np.ndarray
        Video frame times and the mouth opening (or motion) at each; NaN where there is no face.
    env_times, env : np.ndarray
        The speech envelope (:func:`speech_envelope`).
    max_offset : float
        Search range in seconds.
    bias_s : float
        Subtracted from the raw peak (the mouth leads the sound).
    min_confidence : float
        Below this the peak is not trusted.

    Raises
    ------
    AlignmentError
        No face, no speech, too little of both at once, or a peak below ``min_confidence``.
    """
    times, mouth = np.asarray(times, np.float64), np.asarray(mouth, np.float64)
    face = np.isfinite(mouth)
    if face.sum() < 10:
        raise AlignmentError("no face found in the picture: lip sync cannot be measured")
    t0, t1 = max(times[0], env_times[0]), min(times[-1], env_times[-1])
    grid = np.arange(t0, t1, 1 / RATE)
    if len(grid) < 2 * RATE:
        raise AlignmentError("less than 2 s with both picture and sound")
    m = np.interp(grid, times[face], mouth[face])
    has_face = np.interp(grid, times, face.astype(float)) > 0.5
    a = np.interp(grid, env_times, env)
    active = a > np.percentile(a, 30) + 0.5  # speech: well above the quiet floor (log10 energy)
    speech_s = float((active & has_face).sum() / RATE)
    if speech_s < 1.0:
        raise AlignmentError("no speech while a face is visible: lip sync cannot be measured")
    face_s = float(has_face.sum() / RATE)
    # evidence: where a face is visible and speech is active (widened by 0.3 s: the mouth moves before and
    # after the sound)
    speaking = np.convolve(active.astype(float), np.ones(int(0.6 * RATE) + 1), mode="same") > 0.5

    def z(x, w):
        x = np.where(w, x, 0.0)
        mu = x[w].mean()
        sd = x[w].std() + 1e-12
        return np.where(w, (x - mu) / sd, 0.0)

    # band-limit both to the syllable rate (1-8 Hz): mouth opening and energy follow syllables
    mz = z(_bandpass(m - m.mean(), RATE, 1.0, 8.0), has_face)
    az = z(_bandpass(a - a.mean(), RATE, 1.0, 8.0), np.ones_like(has_face))
    K = int(max_offset * RATE)
    lags = np.arange(-K, K + 1)
    curve = np.empty(len(lags))
    n = len(grid)
    for i, L in enumerate(lags):  # audio shifted by L frames against the picture
        lo, hi = max(0, -L), min(n, n - L)
        w = has_face[lo:hi] & speaking[lo + L : hi + L]  # the face in the picture, the speech in the audio
        curve[i] = float((mz[lo:hi] * az[lo + L : hi + L] * w).sum() / max(w.sum(), 1))
    k = int(np.argmax(curve))
    frac = 0.0
    if 0 < k < len(curve) - 1:
        y0, y1, y2 = curve[k - 1], curve[k], curve[k + 1]
        den = y0 - 2 * y1 + y2
        frac = 0.5 * (y0 - y2) / den if den < 0 else 0.0
    lag_s = (lags[k] + frac) / RATE  # audio event at t + lag_s: audio late by lag_s
    excl = np.abs(lags - lags[k]) > int(0.12 * RATE)
    second = float(curve[excl].max()) if excl.any() else 0.0
    k2 = int(np.argmax(np.where(excl, curve, -np.inf))) if excl.any() else None
    conf = float(np.clip(1.0 - max(second, 0.0) / curve[k], 0.0, 1.0)) if curve[k] > 0 else 0.0
    raw = -lag_s
    est = LipSyncEstimate(
        offset_s=float(raw - bias_s), raw_offset_s=float(raw), bias_s=float(bias_s), confidence=conf,
        correlation=float(curve[k]), runner_up_offset_s=None if k2 is None else float(-lags[k2] / RATE),
        face_s=face_s, speech_s=speech_s, lags_s=lags / RATE, curve=curve, times=times, mouth=mouth,
        env_times=np.asarray(env_times, np.float64), env=np.asarray(env, np.float64),
    )  # fmt: skip
    if conf < min_confidence:  # the estimate rides on the error, so that a plot can show why
        raise AlignmentError(
            f"lip sync undecidable (confidence {conf:.2f} < {min_confidence:.2f}): too little speech with a "
            "visible face, or the mouth does not follow the sound",
            estimate=est,
        )
    return est
