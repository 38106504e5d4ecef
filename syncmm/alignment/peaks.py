"""The peaks of cross-correlations: the coarse peak over every admissible lag (feature envelopes), the fine
sub-sample peak (waveforms, band-limited refinement), and the parabolic interpolation both lip sync and the
coarse stage use.  Arrays in, dataclasses out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..dsp.stats import median
from ..exceptions import AlignmentError
from ..types import CorrelationCurve, SampleSource


def parabolic(y: np.ndarray, k: int) -> float:
    """The sub-index position of the peak at ``k`` of ``y``: the vertex of the parabola through its three
    points (within half a step; ``k`` itself at the edges or where the curve is not concave)."""
    if 0 < k < len(y) - 1:
        a, b, c = y[k - 1], y[k], y[k + 1]
        den = a - 2 * b + c
        if den < 0:
            return float(k + np.clip(0.5 * (a - c) / den, -0.5, 0.5))
    return float(k)


@dataclass(frozen=True)
class CoarsePeak:
    lag: float  # frames, sub-frame
    score: float  # robust z-score of the peak
    runner_up_score: float
    runner_up_lag: float | None
    confidence: float
    floor: float = 0.0  # median of the per-lag scores: z = (score - floor) / spread
    spread: float = 1.0  # their robust standard deviation (1.4826 MAD)
    chance_z: float = 0.0  # the largest z chance alone is expected to reach over this many lags
    outside_score: float = -np.inf  # best z among the lags the search range (--max-offset) left out
    outside_lag: float | None = None

    def why_unreliable(self, to_offset_s: Callable[[float], float]) -> str:
        """Why the confidence is low, in words: the search range, repeats, or no shared content."""
        if self.outside_lag is not None and self.outside_score > max(self.score, self.chance_z):
            return (f"a stronger match lies outside the search range, at {to_offset_s(self.outside_lag):+.3f} s: "
                    "widen --max-offset")  # fmt: skip
        if self.runner_up_lag is not None and self.runner_up_score > self.chance_z and self.score > 0:
            if self.runner_up_score >= 0.75 * self.score:
                return (f"several offsets match about equally well ({to_offset_s(self.lag):+.3f} s and "
                        f"{to_offset_s(self.runner_up_lag):+.3f} s): the content repeats, or a part of OTHER was "
                        "cut, inserted or moved")  # fmt: skip
        return "the files may share no content"


def next_fast_len(n: int) -> int:
    """The smallest 5-smooth number (2^a 3^b 5^c) >= ``n``: a fast real FFT size (as ``scipy.fft.next_fast_len``
    with ``real=True``; here so that the align path needs no scipy, whose import is 0.1-0.25 s per run)."""
    if n <= 6:
        return max(int(n), 1)
    best = 1 << (int(n) - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            q = p35
            while q < n:
                q *= 2
            best = min(best, q)
            p35 *= 3
        p5 *= 5
    return best


def _xcorr_multichannel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Full linear cross-correlation summed over channels: ``c[l] = sum_j a[:, j + l] * b[:, j]``.

    Returns lags ``-(Lb-1) .. La-1`` in order.  NumPy's FFT (pocketfft, as scipy's) in float64.
    """
    La, Lb = a.shape[-1], b.shape[-1]
    n = next_fast_len(La + Lb - 1)
    acc = None
    for ch in range(a.shape[0]):
        A = np.fft.rfft(np.asarray(a[ch], np.float64), n)
        A *= np.conj(np.fft.rfft(np.asarray(b[ch], np.float64), n))
        acc = A if acc is None else acc + A
    c = np.fft.irfft(acc, n)
    return np.concatenate([c[n - (Lb - 1) :], c[:La]]) if Lb > 1 else c[:La]


def _overlap(La: int, Lb: int, ea: np.ndarray, eb: np.ndarray):
    """Overlap length and energies of both sides for every lag ``-(Lb-1) .. La-1``."""
    lags = np.arange(-(Lb - 1), La)
    a_lo = np.maximum(0, lags)
    a_hi = np.minimum(La, Lb + lags)
    b_lo = np.maximum(0, -lags)
    b_hi = np.minimum(Lb, La - lags)
    ca = np.concatenate([[0.0], np.cumsum(ea, dtype=np.float64)])
    cb = np.concatenate([[0.0], np.cumsum(eb, dtype=np.float64)])
    return lags, a_hi - a_lo, ca[a_hi] - ca[a_lo], cb[b_hi] - cb[b_lo]


def coarse_peak(
    A: np.ndarray, B: np.ndarray, min_overlap: int, lag_range: tuple[float, float] | None = None
) -> tuple[CoarsePeak, np.ndarray, np.ndarray]:
    """Find the best lag between feature matrices ``A`` (REF) and ``B`` (OTHER), shape ``(d, t)``.

    Returns the peak, the lags and the per-lag score (``-inf`` where not admissible).
    """
    La, Lb = A.shape[1], B.shape[1]
    c = _xcorr_multichannel(A, B)
    lags, n, Ea, Eb = _overlap(La, Lb, (A * A).sum(0), (B * B).sum(0))
    enough = (n >= max(1, min_overlap)) & (np.sqrt(Ea * Eb) > 0)
    valid = enough.copy()
    if lag_range is not None:
        valid &= (lags >= lag_range[0]) & (lags <= lag_range[1])
    if not valid.any():
        raise AlignmentError("no admissible offset: the files overlap too little (check --max-offset)")
    s = np.full(len(lags), -np.inf)
    s[enough] = c[enough] / np.sqrt(Ea[enough] * Eb[enough]) * np.sqrt(n[enough])
    # The noise floor comes from every lag with enough overlap, also those --max-offset excludes, so
    # that restricting the search cannot make a chance peak look prominent.
    sv = s[enough]
    med = median(sv)
    mad = median(np.abs(sv - med)) * 1.4826 + 1e-12
    z_null = float(np.sqrt(2.0 * np.log(max(len(sv), 2))))  # expected largest of len(sv) chance values
    k1 = int(np.argmax(np.where(valid, s, -np.inf)))
    s1 = s[k1]
    # main lobe: where the curve stays above half the peak height (over the median floor)
    half = med + 0.5 * (s1 - med)
    lo = k1
    while lo > 0 and s[lo - 1] > half:
        lo -= 1
    hi = k1
    while hi < len(s) - 1 and s[hi + 1] > half:
        hi += 1
    excl = max(5, 2 * max(k1 - lo, hi - k1) + 1)
    mask = valid.copy()
    mask[max(0, k1 - excl) : k1 + excl + 1] = False
    z1 = (s1 - med) / mad
    if mask.any():
        k2 = int(np.argmax(np.where(mask, s, -np.inf)))
        z2 = (s[k2] - med) / mad
        lag2: float | None = float(lags[k2])
    else:
        z2, lag2 = 0.0, None
    # prominence over the runner-up, and over what chance alone would reach among this many lags
    conf = float(np.clip(1.0 - max(z2, z_null) / z1, 0.0, 1.0)) if z1 > 0 else 0.0
    lag1 = float(lags[0]) + parabolic(np.where(np.isfinite(s), s, med), k1)
    out = enough & ~valid
    z3, lag3 = -np.inf, None
    if out.any():
        k3 = int(np.argmax(np.where(out, s, -np.inf)))
        z3, lag3 = float((s[k3] - med) / mad), float(lags[k3])
    return CoarsePeak(lag1, float(z1), float(z2), lag2, conf, med, mad, z_null, z3, lag3), lags, s


def _curve(cp: CoarsePeak, lags: np.ndarray, s: np.ndarray, to_offset_s) -> CorrelationCurve:
    """The coarse score ``s`` over ``lags`` as the robust z-scores :func:`coarse_peak` ranked them by."""
    z = ((s - cp.floor) / cp.spread).astype(np.float32)  # -inf stays -inf where the overlap is too short
    return CorrelationCurve(to_offset_s(lags.astype(np.float64)), z, cp.chance_z)


def _chunked_peak(A, B, min_overlap, lag_range, chunk):
    """Best coarse peak of up to 4 evenly spread chunks of ``B``; lags refer to ``B``'s start."""
    n = B.shape[1]
    starts = np.unique(np.linspace(0, max(0, n - chunk), min(4, max(1, n // chunk))).astype(int))
    best = None
    for c0 in starts:
        c1 = min(n, c0 + chunk)
        rng = None if lag_range is None else (lag_range[0] - c0, lag_range[1] - c0)
        try:
            cp, _, _ = coarse_peak(A, B[:, c0:c1], min(min_overlap, c1 - c0), rng)
        except AlignmentError:
            continue
        cp = CoarsePeak(
            cp.lag - c0, cp.score, cp.runner_up_score, None if cp.runner_up_lag is None else cp.runner_up_lag - c0,
            cp.confidence,
        )  # fmt: skip
        if best is None or cp.confidence > best[0].confidence:
            best = (cp, (int(c0), int(c1)))
    return best


def _bandlimited_peak(C: np.ndarray, n: int, tau: float, iters: int = 8) -> tuple[float, float]:
    """Newton iterations for the maximum of the band-limited correlation ``irfft(C, n)`` near ``tau``.

    Each step needs ``sum_k w_k^p P_k exp(i w_k tau)`` for ``p = 0, 1, 2``.  With ``k = a B + b`` the phase
    factor splits into ``exp(i w_aB tau) exp(i w_b tau)`` and ``w_k = w_aB + w_b``, so the three sums are
    one product of ``P`` (as an ``A x B`` matrix) with three vectors over ``b``, then sums over ``a``:
    ``sqrt(N)`` complex exponentials on each side instead of ``N`` (9-16x faster on the drift and fine windows;
    the same iterates to rounding).
    """
    N = len(C)
    B = int(np.ceil(np.sqrt(N)))
    A = -(-N // B)
    P = np.zeros(A * B, complex)
    P[:N] = C
    P[1:N] *= 2.0 / n  # the one-sided spectrum counts every bin but DC (and Nyquist for even n) twice
    P[0] /= n
    if n % 2 == 0:
        P[N - 1] /= 2.0
    P = P.reshape(A, B)
    w_b = 2 * np.pi / n * np.arange(B)
    w_a = 2 * np.pi / n * B * np.arange(A)
    val = 0.0
    for _ in range(iters):
        z_b = np.exp(1j * w_b * tau)
        S0, S1, S2 = (P @ np.stack([z_b, w_b * z_b, w_b**2 * z_b], axis=1)).T  # sums over b of w_b^p P z_b
        z_a = np.exp(1j * w_a * tau)
        T0 = z_a @ S0
        T1 = z_a @ (w_a * S0 + S1)
        T2 = z_a @ (w_a**2 * S0 + 2 * w_a * S1 + S2)
        val = float(T0.real)
        d1 = float(-T1.imag)  # sum of Re(i w e)
        d2 = float(-T2.real)  # sum of Re(-w^2 e)
        if d2 >= 0:
            break
        step = float(np.clip(-d1 / d2, -0.5, 0.5))
        tau += step
        if abs(step) < 1e-6:
            break
    return tau, val


@dataclass(frozen=True)
class FinePeak:
    lag: float  # samples, sub-sample
    correlation: float  # normalised waveform correlation at the integer peak, >= 0 (its sign is in ``inverted``)
    at_edge: bool
    inverted: bool = False  # the peak is negative: OTHER's polarity is the opposite of REF's


def fine_peak(
    x: SampleSource,
    y: SampleSource,
    lag0: float,
    margin: int,
    window: int,
    weights: np.ndarray | None = None,
    hop: int = 1,
    phat: bool = False,
    y_range: tuple[int, int] | None = None,
) -> FinePeak | None:
    """Refine ``lag0`` (samples) by waveform cross-correlation within ``±margin`` samples.

    ``window`` samples of ``y`` are correlated with ``x``; where the overlap is longer, the window is
    placed where ``weights`` (per ``hop`` samples of ``y``) is largest.  ``y_range`` confines the window
    to those samples of ``y``.  Returns None when the overlap is too short.

    The peak is that of ``|r|``: a signal with inverted polarity (a microphone wired the other way) peaks
    negative at the true lag, and its largest positive value is a side lobe a fraction of a period away.
    """
    Lx, Ly = len(x), len(y)
    L = int(round(lag0))
    y0, y1 = (0, Ly) if y_range is None else (max(0, y_range[0]), min(Ly, y_range[1]))
    j_lo, j_hi = max(y0, -L + margin), min(y1, Lx - L - margin)
    if j_hi - j_lo < 4 * margin:  # relax: allow zero padding at the edges
        j_lo, j_hi = max(y0, -L), min(y1, Lx - L)
    W = min(window, j_hi - j_lo)
    if W < 64:
        return None
    j0 = j_lo
    if j_hi - j_lo > W and weights is not None and len(weights) > 0:
        cw = np.concatenate([[0.0], np.cumsum(weights, dtype=np.float64)])
        starts = np.arange(j_lo, j_hi - W + 1, hop)
        a = np.minimum(starts // hop, len(weights))
        b = np.minimum((starts + W) // hop, len(weights))
        j0 = int(starts[int(np.argmax(cw[b] - cw[a]))])
    seg_o = np.asarray(y[j0 : j0 + W], np.float64)  # x and y may be lazy: only these windows are read
    a = j0 + L - margin
    b = j0 + L + W + margin
    seg_r = np.zeros(b - a, np.float64)
    s0, s1 = max(a, 0), min(b, Lx)
    if s1 > s0:
        seg_r[s0 - a : s1 - a] = x[s0:s1]
    # circular correlation of length >= len(seg_r): lags 0 .. 2 margin see no wrap-around (seg_o is W long),
    # so the FFTs need not be the full linear length len(seg_r) + W (twice as long: the drift stage's cost)
    n = next_fast_len(len(seg_r))
    C = np.fft.rfft(seg_r, n) * np.conj(np.fft.rfft(seg_o, n))
    if phat:
        mag = np.abs(C)
        C = C / (mag + 1e-12 * mag.max() + 1e-30)
    r = np.fft.irfft(C, n)[: 2 * margin + 1]
    k = int(np.argmax(np.abs(r)))
    inverted = bool(r[k] < 0)
    if inverted:
        C, r = -C, -r
    tau, _ = _bandlimited_peak(C, n, k + (parabolic(r, k) - k))
    if abs(tau - k) > 1.0:
        tau = float(k)
    seg = seg_r[k : k + W]
    den = np.sqrt(np.dot(seg, seg) * np.dot(seg_o, seg_o))
    corr = abs(float(np.dot(seg, seg_o) / den)) if den > 0 else 0.0
    return FinePeak(lag=L - margin + tau, correlation=corr, at_edge=k in (0, 2 * margin), inverted=inverted)
