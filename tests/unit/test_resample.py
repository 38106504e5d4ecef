"""The numba resampling kernel against a plain NumPy reference, and its use for shifts and drift."""

from __future__ import annotations

import numpy as np
import pytest

from syncmm.dsp.resample import resample_at, sinc_kernel
from syncmm.exceptions import ParameterError


def _reference(y, pos, half=24):
    out = np.zeros(len(pos))
    for i, p in enumerate(pos):
        k = np.arange(int(np.floor(p)) - half + 1, int(np.floor(p)) + half + 1)
        ok = (k >= 0) & (k < len(y))
        out[i] = np.sum(y[k[ok]] * sinc_kernel(k[ok] - p, half))
    return out


@pytest.mark.parametrize("numba_path", [True, False])
def test_kernel_matches_numpy_reference(rng, monkeypatch, numba_path):
    import syncmm.dsp.resample as rs

    monkeypatch.setattr(rs, "_NUMPY_BELOW", -1 if numba_path else 10**12)
    for _ in range(5):
        y = rng.standard_normal(int(rng.integers(60, 200)))
        pos = rng.uniform(-5, len(y) + 5, 50)
        np.testing.assert_allclose(resample_at(y, pos), _reference(y, pos), atol=2e-4)
        y2 = rng.standard_normal((3, len(y)))  # channels share the taps
        out = resample_at(y2, pos)
        assert out.shape == (3, len(pos))
        for c in range(3):
            np.testing.assert_allclose(out[c], _reference(y2[c], pos), atol=2e-4)


def test_integer_positions_reproduce_a_bandlimited_signal(rng):
    n = 4000
    y = np.fft.irfft(np.fft.rfft(rng.standard_normal(n)) * (np.fft.rfftfreq(n) < 0.4), n)
    pos = np.arange(100, n - 100, dtype=float)
    np.testing.assert_allclose(resample_at(y, pos), y[100:-100], atol=3e-3 * np.abs(y).max())


def test_fractional_shift_of_a_sine():
    sr = 16000
    t = np.arange(sr) / sr
    y = np.sin(2 * np.pi * 1000 * t)
    shifted = resample_at(y, np.arange(200, sr - 200) + 0.37)
    expect = np.sin(2 * np.pi * 1000 * (np.arange(200, sr - 200) + 0.37) / sr)
    assert np.max(np.abs(shifted - expect)) < 1e-3


def test_rejects_bad_input():
    with pytest.raises(ParameterError):
        resample_at(np.zeros((2, 3, 4)), np.zeros(3))
    with pytest.raises(ParameterError):
        resample_at(np.zeros(3), np.array([np.nan]))
