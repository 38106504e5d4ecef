"""Millisecond-scale exact micro-tests of the two peak searches (in the style of ffsubsync's tests): tiny inputs
whose answer is known to the frame or to a small fraction of a sample."""

from __future__ import annotations

import numpy as np
import pytest

from syncmm.alignment.peaks import coarse_peak, fine_peak, parabolic
from syncmm.synth import fractional_delay


@pytest.mark.parametrize("lag", [0, 1, 7, -13])
def test_coarse_peak_finds_an_exact_frame_lag(lag):
    # 3 feature bands, 300 frames of sparse onsets; OTHER is REF cut so that REF frame i + lag = OTHER frame i
    rng = np.random.default_rng(5)
    A = (rng.random((3, 300)) > 0.9) * rng.random((3, 300))
    B = A[:, 40 + lag : 240 + lag]
    cp, lags, s = coarse_peak(A, B, min_overlap=50)
    assert cp.lag == pytest.approx(40 + lag, abs=0.01)  # REF frame lag of OTHER's first frame
    assert cp.confidence > 0.5 and np.isfinite(s).any() and len(lags) == len(s)


def test_coarse_peak_respects_the_search_range():
    rng = np.random.default_rng(6)
    A = (rng.random((3, 300)) > 0.9) * rng.random((3, 300))
    B = A[:, 100:200]
    cp, _, _ = coarse_peak(A, B, min_overlap=50, lag_range=(0, 50))
    assert 0 <= cp.lag <= 50  # the true lag (100) is outside: not found, and said so
    assert cp.outside_lag == pytest.approx(100, abs=0.01) and cp.outside_score > cp.score


@pytest.mark.parametrize("delay", [0.0, 0.25, 3.5, 10.75])
def test_fine_peak_finds_a_fractional_sample_delay(delay):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(4000)
    y = fractional_delay(x, -delay)  # y[j] = x[j + delay]: x leads by delay samples
    fp = fine_peak(x, y, lag0=round(delay), margin=8, window=2000)
    assert fp is not None and fp.lag == pytest.approx(delay, abs=0.02) and not fp.inverted
    fp = fine_peak(x, -y, lag0=round(delay), margin=8, window=2000)  # polarity inverted: same lag, flagged
    assert fp.lag == pytest.approx(delay, abs=0.02) and fp.inverted


def test_parabolic_vertex():
    y = -((np.arange(7) - 3.3) ** 2)
    assert parabolic(y, 3) == pytest.approx(3.3)
    assert parabolic(y, 0) == 0.0 and parabolic(np.array([1.0, 1.0, 1.0]), 1) == 1.0  # edge, flat


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fine_peak_circular_correlation_equals_the_linear_one(seed, monkeypatch):
    """fine_peak correlates at the shortest FFT length without wrap-around for its lags (len(seg_r), not
    len(seg_r) + W): the same integer peak and correlation, and the sub-sample lag to 1e-4 samples, as the
    full linear length gives."""
    import syncmm.alignment.peaks as peaks

    rng = np.random.default_rng(seed)
    x = np.convolve(rng.standard_normal(30000), np.hanning(9), "same")  # band-limited, like audio
    delay = 1234.37 + seed
    y = fractional_delay(x, -delay)[:20000] + 0.3 * rng.standard_normal(20000)
    got = fine_peak(x, y, lag0=round(delay), margin=40, window=8000)
    n_true = peaks.next_fast_len
    monkeypatch.setattr(peaks, "next_fast_len", lambda n: n_true(n + 8000))  # the linear length, as before
    lin = fine_peak(x, y, lag0=round(delay), margin=40, window=8000)
    assert got.lag == pytest.approx(lin.lag, abs=1e-4) and got.lag == pytest.approx(delay, abs=0.02)
    assert got.correlation == pytest.approx(lin.correlation, rel=1e-9) and got.at_edge == lin.at_edge
